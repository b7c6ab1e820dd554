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
    for n in range(KILLS):
        target = tmp_path / f"b-{n}.db"
        _killed_at(pick.uniform(0.0, length), "--db", str(db), "backup", str(target))
        if target.exists():
            assert _accounts(target) == 400, n  # whole, checked
    assert _accounts(db) == 400
