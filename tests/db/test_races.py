"""The same work started twice at once, by two processes or two laptops on a team database:
done once, never an error."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa

from kam.db import open_database
from kam.models import RevenueLine
from kam.services.accounts import account_edit


def _kam_at_once(*commands: list[str]) -> list[tuple[int, str]]:
    """Run the kam commands as separate processes started together; (exit code, stderr)."""
    import subprocess
    import sys

    from tests.support import KAM_PROCESS

    processes = [
        subprocess.Popen(
            [sys.executable, "-c", KAM_PROCESS, *command],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    done = []
    for process in processes:  # (communicate: a full stderr pipe would block the child)
        _out, err = process.communicate(timeout=120)
        done.append((process.returncode, err))
    return done


def _ledger(path: Path, lines: int) -> Path:
    rows = ["customer,date,amount,category"]
    rows += [
        f"Buyer {n % 40:02},2026-{n % 12 + 1:02}-{n % 28 + 1:02},{100 + n},Parts"
        for n in range(lines)
    ]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_the_same_revenue_file_imported_twice_at_once_is_written_once(
    postgres_url: str, tmp_path: Path
) -> None:
    database = open_database(postgres_url)
    with database.write() as session:
        for n in range(40):
            account_edit.create_account(session, f"Buyer {n:02}")
    database.dispose()
    ledger = str(_ledger(tmp_path / "ledger.csv", 12000))
    for _attempt in range(3):
        results = _kam_at_once(
            *(["import", "revenue", ledger, "--db", postgres_url] for _ in range(2))
        )
        codes = sorted(code for code, _err in results)
        # The first writes the file (or found it written by an earlier attempt); a second
        # one waits, then finds every row held already: refused, nothing written twice.
        assert codes in ([0, 2], [2, 2]), results
        assert all("Traceback" not in err for _code, err in results)
        database = open_database(postgres_url)
        with database.read() as session:
            count = (
                session.connection()
                .execute(sa.select(sa.func.count()).select_from(RevenueLine.__table__))
                .scalar_one()
            )
        database.dispose()
        assert count == 12000


def test_two_account_files_at_once_make_each_owner_once(postgres_url: str, tmp_path: Path) -> None:
    from kam.models import TeamMember

    files = []
    for side in "ab":
        path = tmp_path / f"accounts-{side}.csv"
        rows = ["name,owner"] + [f"{side} {n},Owner {n % 4}" for n in range(3000)]
        path.write_text("\n".join(rows) + "\n")
        files.append(str(path))
    open_database(postgres_url).dispose()
    results = _kam_at_once(*(["import", "accounts", f, "--db", postgres_url] for f in files))
    assert [code for code, _err in results] == [0, 0], results
    database = open_database(postgres_url)
    with database.read() as session:
        names = session.connection().execute(sa.select(TeamMember.__table__.c.name)).scalars()
        names = sorted(names)
    database.dispose()
    assert names == ["Owner 0", "Owner 1", "Owner 2", "Owner 3"]


def test_two_clients_starting_a_new_day_at_once_both_get_their_report(
    postgres_url: str, tmp_path: Path
) -> None:
    from kam.demo import create_demo_database

    create_demo_database(postgres_url, 150, seed=4, as_of=date(2026, 11, 22))
    for day in ("2026-12-10", "2026-12-11", "2026-12-12"):
        results = _kam_at_once(
            *(["report", "health", "--as-of", day, "--db", postgres_url] for _ in range(2))
        )
        assert [code for code, _err in results] == [0, 0], results
