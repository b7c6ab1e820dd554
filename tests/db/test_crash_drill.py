"""The crash drill: real kam processes killed with SIGKILL at random moments of an import, a
demo build and a backup. After every kill the database passes `kam check` and holds all of
the work or none of it; no partial file carries a final name. Seeded, bounded in count and
time, independent of how fast the machine is (the kill moments spread over the run's own
measured length)."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from kam.db import open_database
from kam.models import Account
from kam.services import maintenance
from tests.support import KAM_PROCESS

KILLS = 30


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", KAM_PROCESS, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _length(*args: str) -> float:
    """How long the command takes here, whole: the kill moments spread over it."""
    started = time.monotonic()
    process = _start(*args)
    assert process.wait(timeout=120) == 0
    return time.monotonic() - started


def _killed_at(delay: float, *args: str) -> int:
    process = _start(*args)
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
    return process.wait(timeout=60)


def _accounts(db: Path) -> int:
    database = open_database(f"sqlite:///{db}")
    try:
        report = maintenance.check(database)
        assert not report.problems, report.problems
        with database.read() as session:
            return (
                session.connection()
                .execute(sa.select(sa.func.count()).select_from(Account.__table__))
                .scalar_one()
            )
    finally:
        database.dispose()


def test_imports_killed_at_random_moments_leave_all_or_nothing(tmp_path: Path) -> None:
    rows = 6000
    path = tmp_path / "accounts.csv"
    path.write_text("name,region\n" + "".join(f"Account {i:05d},North\n" for i in range(rows)))
    probe = tmp_path / "probe.db"
    length = _length("--db", str(probe), "import", "accounts", str(path))
    pick = random.Random(7)
    outcomes = set()
    for n in range(KILLS):
        db = tmp_path / f"kam-{n}.db"
        open_database(f"sqlite:///{db}").dispose()
        code = _killed_at(
            pick.uniform(0.0, length), "--db", str(db), "import", "accounts", str(path)
        )
        found = _accounts(db)
        assert found in (0, rows), (n, code, found)
        outcomes.add(found)
        db.unlink()
    assert outcomes  # (which of the two each kill gave depends on the moment)


def test_demo_builds_killed_at_random_moments_leave_the_old_demo_or_the_new(
    tmp_path: Path,
) -> None:
    demo = tmp_path / "demo.db"
    args = ("demo", "--no-tui", "--accounts", "120", "--db", str(demo), "--as-of", "2026-11-22")
    length = _length(*args)
    first = _accounts(demo)
    assert first == 120
    pick = random.Random(8)
    for n in range(KILLS):
        _killed_at(pick.uniform(0.0, length), *args)
        assert _accounts(demo) == 120, n  # the old demo, or the new one whole
    leftovers = [p.name for p in tmp_path.iterdir() if ".building-" in p.name]
    _length(*args)  # a build that finishes clears what killed ones left
    assert not [p.name for p in tmp_path.iterdir() if ".building-" in p.name], leftovers


def test_backups_killed_at_random_moments_leave_a_whole_backup_or_none(tmp_path: Path) -> None:
    db = tmp_path / "kam.db"
    _length("demo", "--no-tui", "--accounts", "400", "--db", str(db), "--as-of", "2026-11-22")
    length = _length("--db", str(db), "backup", str(tmp_path / "probe.backup.db"))
    pick = random.Random(9)
    target = tmp_path / "b.db"
    for n in range(KILLS):
        _killed_at(pick.uniform(0.0, length), "--db", str(db), "backup", str(target))
        if target.exists():
            assert _accounts(target) == 400, n  # whole, checked
            target.unlink()
    assert _accounts(db) == 400
    # The next backup clears what the killed ones left under temporary names.
    assert _length("--db", str(db), "backup", str(target))
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".b.db")) == []


# --- a full disk: the write fails half-way, the database is as it was ---------------------------

# `kam` with the size any file it writes may reach (RLIMIT_FSIZE): past it a write fails as on
# a full disk (EFBIG; Python ignores SIGXFSZ), and SQLite sees the same I/O error.
KAM_ON_A_FULL_DISK = (
    "import resource, sys; limit = int(sys.argv.pop(1)); "
    "resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)); " + KAM_PROCESS
)


def _on_a_full_disk(room: int, *args: str) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-c", KAM_ON_A_FULL_DISK, str(room), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stderr


def test_a_full_disk_during_an_import_or_a_backup_leaves_the_database_as_it_was(
    tmp_path: Path,
) -> None:
    from kam.services.accounts import account_edit

    db = tmp_path / "kam.db"
    database = open_database(f"sqlite:///{db}")
    with database.write() as session:
        for n in range(40):
            account_edit.create_account(session, f"Buyer {n:02}")
    database.dispose()
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(
        "customer,date,amount,category\n"
        + "".join(
            f"Buyer {n % 40:02},2026-{n % 12 + 1:02}-{n % 28 + 1:02},{100 + n},Parts\n"
            for n in range(30000)
        )
    )
    before = db.read_bytes()

    # The import's journal outgrows what the disk has left, half-way through writing.
    code, err = _on_a_full_disk(
        db.stat().st_size + 200_000, "--db", str(db), "import", "revenue", str(ledger)
    )
    last = err.strip().splitlines()[-1]
    assert code == 2 and "Traceback" not in err
    assert last.startswith(f"kam: cannot write to {db} (disk I/O error: is the disk full?)")
    assert "the database is as it was" in last
    assert db.read_bytes() == before and _accounts(db) == 40

    # A backup that does not fit: one line, nothing under its name or a temporary one.
    backup = tmp_path / "b.db"
    code, err = _on_a_full_disk(db.stat().st_size // 2, "--db", str(db), "backup", str(backup))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith(f"kam: cannot write the backup {backup} (") and "disk full" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kam.db", "kam.db-open", "ledger.csv"]
    assert db.read_bytes() == before


def _add_accounts(url: str, prefix: str, n: int) -> None:
    from kam.services.accounts.account_edit import create_account

    database = open_database(url)
    with database.write() as session:
        for i in range(n):
            create_account(session, f"{prefix} {i:03d}")
    database.dispose()


def test_syncs_killed_at_random_moments_are_finished_by_the_next_with_nothing_twice(
    postgres_url: str, tmp_path: Path
) -> None:
    """Each round adds accounts on the laptop and on the server, then a `kam sync` is killed
    at a random moment; a last sync that runs to its end leaves both with every account once."""
    from kam.services.sync import replica
    from tests.support import synced_facts

    _add_accounts(postgres_url, "Team", 100)
    laptop = tmp_path / "laptop.db"
    replica.join(postgres_url, laptop)
    local = f"sqlite:///{laptop}"
    _add_accounts(local, "Probe here", 150)
    _add_accounts(postgres_url, "Probe there", 150)
    length = _length("--db", str(laptop), "sync")
    pick = random.Random(10)
    for n in range(KILLS):
        _add_accounts(local, f"Laptop {n:02d}", 40)
        _add_accounts(postgres_url, f"Server {n:02d}", 40)
        _killed_at(pick.uniform(0.0, length), "--db", str(laptop), "sync")
        _accounts(laptop)  # whole after every kill: `kam check` finds nothing wrong
    assert _length("--db", str(laptop), "sync") > 0
    team = synced_facts(postgres_url)
    assert synced_facts(local) == team
    names = [row for row in team["account"]]
    assert len(names) == 100 + 300 + KILLS * 80  # every account once: none lost, none twice
