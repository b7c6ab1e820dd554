"""Backups, restore, checks, copying to the team database, and nothing lost under pressure."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from kam.db import Database, open_database
from kam.demo import build_demo
from kam.errors import InputError
from kam.files import exports, imports
from kam.models import Account, RevenueLine, TeamMember
from kam.services import maintenance
from kam.services.accounts import account_edit
from kam.services.accounts.account_edit import create_account
from kam.services.values.parsing import MAX_AMOUNT_MINOR
from kam.services.wallet.revenue import add_revenue
from tests.support import TODAY, accounts_db, damaged, run


def names(database: Database) -> list[str]:
    with database.read() as session:
        return sorted(session.exec(sa.select(Account.name)).scalars())


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return accounts_db(tmp_path / "kam.db", "Acme Corp", "华东精密机械有限公司")


def test_database_wal_and_backups_are_readable_by_their_owner_only(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.umask(0o022)
    assert mode(db_path) == 0o600
    database = open_database(f"sqlite:///{db_path}")
    with database.write() as session:
        create_account(session, "Wal Writer")
        assert mode(Path(f"{db_path}-wal")) == 0o600
    database.dispose()
    code, _, err = run(capsys, "backup", str(tmp_path / "copy.db"), "--db", str(db_path))
    assert code == 0 and "backup written" in err
    assert mode(tmp_path / "copy.db") == 0o600


def test_a_backup_taken_while_kam_writes_is_consistent(db_path: Path, tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{db_path}")
    other = open_database(f"sqlite:///{db_path}")
    with other.write() as session:  # a transaction in flight, not committed yet
        create_account(session, "Not Yet Saved")
        session.flush()
        written = maintenance.backup(database, tmp_path)
    other.dispose()
    assert written.parent == tmp_path and written.name.endswith(".backup.db")
    copy = open_database(f"sqlite:///{written}")
    assert names(copy) == ["Acme Corp", "华东精密机械有限公司"]
    copy.dispose()
    database.dispose()


def test_restore_checks_the_backup_first_and_keeps_the_replaced_file(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backup = tmp_path / "before.db"
    assert run(capsys, "backup", str(backup), "--db", str(db_path))[0] == 0
    database = open_database(f"sqlite:///{db_path}")
    with database.write() as session:
        create_account(session, "Made After The Backup")
    database.dispose()

    broken = tmp_path / "broken.db"
    data = bytearray(backup.read_bytes())
    data[5000:9000] = os.urandom(4000)  # damage pages in the middle
    broken.write_bytes(bytes(data))
    code, _, err = run(capsys, "restore", str(broken), "--db", str(db_path))
    assert code == 2 and "broken.db" in err
    code, _, err = run(capsys, "restore", str(tmp_path / "none.db"), "--db", str(db_path))
    assert code == 2 and "no such file" in err
    (tmp_path / "text.db").write_text("hello")
    code, _, err = run(capsys, "restore", str(tmp_path / "text.db"), "--db", str(db_path))
    assert code == 2 and "not an SQLite file" in err
    after = open_database(f"sqlite:///{db_path}")
    assert "Made After The Backup" in names(after)  # nothing replaced by a bad backup
    after.dispose()

    code, _, err = run(capsys, "restore", str(backup), "--db", str(db_path))
    assert code == 0, err
    kept = next(tmp_path.glob("kam.db.replaced-*.bak"))
    assert mode(kept) == 0o600 and mode(db_path) == 0o600
    restored = open_database(f"sqlite:///{db_path}")
    assert names(restored) == ["Acme Corp", "华东精密机械有限公司"]
    restored.dispose()
    old = open_database(f"sqlite:///{kept}")
    assert "Made After The Backup" in names(old)
    old.dispose()


def test_check_finds_nothing_on_a_sound_database_and_names_what_is_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "demo.db"
    database = open_database(f"sqlite:///{path}")
    build_demo(database, 60, seed=2, as_of=TODAY)
    code, out, _ = run(capsys, "check", "--db", str(path))
    assert code == 0 and out.strip().endswith("no problems found")
    assert "ok       database integrity" in out
    with database.write() as session:
        conn = session.connection()
        conn.exec_driver_sql(
            "UPDATE account SET tier_override = 'gold', tier_override_reason = NULL "
            "WHERE id = (SELECT id FROM account ORDER BY name LIMIT 1)"
        )
        conn.exec_driver_sql("UPDATE opportunity SET closed_on = NULL WHERE stage = 'won'")
    database.dispose()
    code, out, _ = run(capsys, "check", "--db", str(path))
    assert code == 1
    assert "PROBLEM  tier overrides: 1 tiers set by hand without a reason" in out
    assert "PROBLEM  deal stages:" in out


def test_kam_copy_moves_everything_into_postgresql_and_back(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "laptop.db"
    laptop = open_database(f"sqlite:///{path}")
    build_demo(laptop, 50, seed=4, as_of=TODAY)
    laptop.dispose()
    code, out, err = run(capsys, "copy", "--to", postgres_url, "--db", str(path))
    assert code == 0, err
    assert "counts checked" in out
    code, _, err = run(capsys, "copy", "--to", postgres_url, "--db", str(path))
    assert code == 2 and "holds data already" in err
    back = tmp_path / "back.db"
    assert run(capsys, "copy", "--to", f"sqlite:///{back}", "--db", postgres_url)[0] == 0
    source, server, copy = (
        open_database(f"sqlite:///{path}"),
        open_database(postgres_url),
        open_database(f"sqlite:///{back}"),
    )
    import io

    for kind in imports.KINDS:
        texts = []
        for database in (source, server, copy):
            out_text = io.StringIO()
            with database.read() as session:
                exports.export(session, [kind], "csv", None, out_text)
            texts.append(out_text.getvalue())
        assert texts[0] == texts[1] == texts[2], kind
    for database in (source, server, copy):
        database.dispose()


WRITER = """
import sys, time
from kam.db import open_database
from kam.models import TeamMember
database = open_database(sys.argv[1])
for i in range(int(sys.argv[3])):
    with database.write() as session:
        session.add(TeamMember(name=f"{sys.argv[2]} {i}"))
        session.flush()
        time.sleep(0.02)  # hold the write lock a while, as a real edit does
print("done")
"""


def test_two_processes_writing_one_file_never_see_database_is_locked(db_path: Path) -> None:
    url = f"sqlite:///{db_path}"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, url, name, "60"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("left", "right", "third")
    ]
    results = [p.communicate(timeout=120) for p in processes]
    for process, (out, err) in zip(processes, results, strict=True):
        assert process.returncode == 0 and out.strip() == "done", err
        assert "locked" not in err
    database = open_database(url)
    with database.read() as session:
        members = (
            session.connection()
            .execute(sa.select(sa.func.count()).select_from(TeamMember.__table__))
            .scalar()
        )
    assert members == 180
    database.dispose()


EDITOR = """
import sys, time
from datetime import date
from kam.db import open_database
from kam.models import Account
from kam.services.wallet.revenue import add_revenue
import sqlalchemy as sa
database = open_database(sys.argv[1])
with database.write() as session:
    account = session.exec(sa.select(Account).where(Account.name == "Acme Corp")).scalars().one()
    account.name = "Renamed Half Way"
    add_revenue(session, account.id, date(2026, 5, 1), 999_00)
    session.flush()
    print("flushed", flush=True)
    time.sleep(60)
"""


def test_an_edit_killed_half_way_leaves_the_database_as_it_was(db_path: Path) -> None:
    url = f"sqlite:///{db_path}"
    process = subprocess.Popen(
        [sys.executable, "-c", EDITOR, url], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "flushed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    database = open_database(url)
    with database.read() as session:
        conn = session.connection()
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        lines = conn.execute(sa.select(sa.func.count()).select_from(RevenueLine.__table__))
        assert lines.scalar() == 0
    assert names(database) == ["Acme Corp", "华东精密机械有限公司"]
    with database.write() as session:  # and it takes the next write at once
        create_account(session, "After The Crash")
    database.dispose()


def test_check_finds_figures_sums_cannot_hold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "kam.db"
    database = open_database(f"sqlite:///{path}")
    with database.write() as session:
        acme = account_edit.create_account(session, "Acme").id
        add_revenue(session, acme, date(2026, 1, 1), 100_00)
        with pytest.raises(InputError):
            add_revenue(session, acme, date(2026, 1, 2), MAX_AMOUNT_MINOR + 1)
    with database.write() as session:  # written around kam's checks, as an old kam could
        line = RevenueLine.__table__
        session.connection().execute(sa.update(line).values(amount_minor=2**62))
        add_revenue(session, acme, date(2026, 1, 3), 100_00)
        session.connection().execute(
            sa.update(line).where(line.c.booked_on == date(2026, 1, 3)).values(amount_minor=2**62)
        )
    report = maintenance.check(database)
    database.dispose()
    amounts = next(p for p in report.problems if p.startswith("amounts:"))
    assert "revenue_line.amount_minor: a figure of 46,116,860,184,273,880" in amounts
    assert "revenue_line.amount_minor: the sum passes what reports can add up" in amounts
    code, out, _err = run(capsys, "check", "--db", str(path))
    assert code == 1 and "money columns beyond what sums can hold" in out


def test_restore_refuses_while_kam_has_the_database_open(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "kam.db"
    database = open_database(f"sqlite:///{path}")
    with database.write() as session:
        account_edit.create_account(session, "Before the backup")
    code, _out, err = run(capsys, "backup", str(tmp_path / "b.db"), "--db", str(path))
    assert code == 0, err
    with database.write() as session:
        account_edit.create_account(session, "Typed in the open window")
    # The window is still open: its later saves would go to the replaced file.
    code, _out, err = run(capsys, "restore", str(tmp_path / "b.db"), "--db", str(path))
    assert code == 2 and "open elsewhere" in err
    with database.read() as session:
        names = {a.name for a in session.exec(sa.select(account_edit.Account)).scalars()}
    assert names == {"Before the backup", "Typed in the open window"}  # untouched
    database.dispose()  # the window closes
    code, _out, err = run(capsys, "restore", str(tmp_path / "b.db"), "--db", str(path))
    assert code == 0, err
    again = open_database(f"sqlite:///{path}")
    with again.read() as session:
        names = {a.name for a in session.exec(sa.select(account_edit.Account)).scalars()}
    again.dispose()
    assert names == {"Before the backup"}


def test_a_backup_of_a_damaged_database_is_refused_and_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = damaged(tmp_path / "kam.db")
    backup = tmp_path / "b.db"
    code, _out, err = run(capsys, "backup", str(backup), "--db", str(db))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "damaged" in err or "corrupt" in err or "malformed" in err
    assert not backup.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
