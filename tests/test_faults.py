"""Faults, races and bad input: each case refused in one line, nothing lost, nothing wrong."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from kam.db import open_database
from kam.errors import InputError
from kam.models import Account, RevenueLine
from kam.services import maintenance
from kam.services.accounts import account_edit
from kam.services.values.parsing import MAX_AMOUNT_MINOR, parse_amount
from kam.services.wallet.revenue import add_revenue
from tests.support import run


def _db_with(path: Path, *names: str) -> Path:
    """A SQLite database at `path` holding accounts of these names."""
    database = open_database(f"sqlite:///{path}")
    with database.write() as session:
        for name in names:
            account_edit.create_account(session, name)
    database.dispose()
    return path


# --- amounts bounded to what sums can hold --------------------------------------------------


def test_amounts_are_bounded_at_input() -> None:
    assert parse_amount("100,000,000,000.00") == MAX_AMOUNT_MINOR
    for text in ("100,000,000,000.01", "123456789012345678901234567890", "-9" * 1 + "9" * 20):
        with pytest.raises(InputError, match="is more than 100,000,000,000"):
            parse_amount(text)
    for text in ("1e400", "NaN", "inf", "1.2k"):
        with pytest.raises(InputError):
            parse_amount(text)


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


# --- errors that escaped: one line, exit 2, the password never shown ---------------------------

BAD_URLS = [
    "postgres://u:s3cr3tpw@127.0.0.1:1/kam",
    "postgresql://u:s3cr3tpw@[::1:5432/kam",
    "postgresql://u:s3cr3tpw@localhost:99999/kam",
    "postgresql://u:s3cr3tpw@localhost:port/kam",
    "postgresql+psycopg://u:s3cr3tpw@127.0.0.1:1/kam",
    "nosuchdriver://u:s3cr3tpw@host/kam",
    "mysql://u:s3cr3tpw@host/kam",
    "sqlite:///x.db?timeout=abc",
    "://u:s3cr3tpw@host",
    "postgresql://u:s3cr3tpw@/kam?host=/nonexistent",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_bad_database_url_is_one_line_without_the_password(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PGCONNECT_TIMEOUT", "2")
    code, out, err = run(capsys, "report", "pareto", "--db", url)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("kam: ")
    assert "s3cr3tpw" not in err and "Traceback" not in err


def test_copy_to_a_plain_path_and_an_empty_db_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _db_with(tmp_path / "kam.db", "Acme")
    code, out, err = run(capsys, "copy", "--db", str(source), "--to", str(tmp_path / "x.db"))
    assert code == 0 and "copied" in out
    code, _out, err = run(capsys, "--db", "", "report", "pareto")
    assert (
        code == 2 and err == "kam: --db is empty: name a database file or URL, or leave --db out\n"
    )


def test_an_empty_database_file_is_refused_not_filled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "kam.db"
    empty.write_bytes(b"")
    code, _out, err = run(capsys, "check", "--db", str(empty))
    assert code == 2 and "database file is empty (0 bytes)" in err
    assert empty.stat().st_size == 0  # left as it was


def test_a_pipe_a_device_or_a_name_too_long_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    db = str(tmp_path / "kam.db")
    for path, said in (
        (str(fifo), "is not a regular file"),
        ("/dev/zero", "is not a regular file"),
        (str(tmp_path / ("a" * 300 + ".csv")), "File name too long"),
    ):
        code, _out, err = run(capsys, "import", "accounts", path, "--db", db)
        assert code == 2 and said in err and len(err.splitlines()) == 1


def _subcommands() -> list[list[str]]:
    from kam.cli import build_parser

    found = []

    def walk(parser, prefix):
        for action in parser._actions:
            if action.__class__.__name__ == "_SubParsersAction":
                for name, sub in action.choices.items():
                    walk(sub, [*prefix, name])
                return
        found.append(prefix)

    walk(build_parser(), [])
    return found


@pytest.mark.parametrize("command", _subcommands(), ids=" ".join)
def test_every_subcommand_given_bad_arguments_says_so_in_one_line(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for bad in (
        ["--no-such-option"],
        ["--db", str(tmp_path / "missing" / "kam.db")],
        ["--db", "postgresql://u:s3cr3tpw@[::1/kam"],
        ["--as-of", "2026-02-30"],
        ["--format", "docx"],
    ):
        code, _out, err = run(capsys, *command, *bad)
        assert code == 2, (command, bad, err)
        assert "Traceback" not in err and "s3cr3tpw" not in err
        assert len(err.strip().splitlines()) == 1, (command, bad, err)


# --- restore never replaces a database kam has open ----------------------------------------------


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


# --- the team database under concurrency: the same work twice at once ----------------------------


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


# --- files kam writes and reads back ---------------------------------------------------------


def test_kam_s_own_json_export_with_empty_kinds_imports_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _db_with(tmp_path / "a.db", "Acme 北京")
    out = tmp_path / "all.json"
    code, _out, err = run(
        capsys, "export", "all", "--format", "json", "-o", str(out), "--db", str(source)
    )
    assert code == 0, err
    code, said, err = run(capsys, "import", "all", str(out), "--db", str(tmp_path / "b.db"))
    assert code == 0, err
    assert "created 1" in said


def test_an_xlsx_formula_without_a_saved_value_is_refused_with_its_cell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Kunden"
    sheet.append(["Account Name", "Annual Revenue"])
    sheet.append(["Acme", 1000])
    sheet.append(["Bolt", "=B2*2"])  # openpyxl saves formulas without their values
    path = tmp_path / "accounts.xlsx"
    book.save(path)
    code, _out, err = run(capsys, "import", "accounts", str(path), "--db", str(tmp_path / "k.db"))
    assert code == 2
    assert err.strip() == (
        "kam: accounts.xlsx: sheet 'Kunden' cell B3 is a formula with no saved value (=B2*2); "
        "open the workbook in a spreadsheet program and save it, or paste values"
    )


def test_csv_cells_a_spreadsheet_could_split_into_a_formula_are_quoted_and_round_trip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kam.services.people import contacts

    source = tmp_path / "a.db"
    database = open_database(f"sqlite:///{source}")
    with database.write() as session:
        acme = account_edit.create_account(session, "Acme").id
        for name, title in (("x;=1+1", "a;@SUM(A1)"), ("'=genuine", "=HYPERLINK(1)")):
            contacts.create_contact(session, acme, {"name": name, "title": title}, "t")
    database.dispose()
    folder = tmp_path / "out"
    code, _out, err = run(capsys, "export", "all", "-o", str(folder), "--db", str(source))
    assert code == 0, err
    text = (folder / "contacts.csv").read_text(encoding="utf-8-sig")
    assert '"x;=1+1"' in text  # quoted: one cell whatever the list separator
    assert "'=HYPERLINK(1)" in text and "''=genuine" in text
    assert '"a;@SUM(A1)"' in text
    code, _out, err = run(capsys, "import", "all", str(folder), "--db", str(tmp_path / "b.db"))
    assert code == 0, err
    database = open_database(f"sqlite:///{tmp_path / 'b.db'}")
    with database.read() as session:
        got = {(c.name, c.title) for c in session.exec(sa.select(contacts.Contact)).scalars()}
    database.dispose()
    assert got == {("x;=1+1", "a;@SUM(A1)"), ("'=genuine", "=HYPERLINK(1)")}


# --- what kam writes: its owner's only, whole or not at all ---------------------------------------


def test_the_data_folder_database_and_its_journal_are_the_owner_s_only(
    tmp_path: Path, monkeypatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import os
    import stat

    data = tmp_path / "home" / "data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.delenv("KAM_DATABASE", raising=False)
    code, _out, err = run(capsys, "check")
    assert code == 0, err
    folder = data / "kam"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    db = folder / "kam.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    os.chmod(db, 0o644)
    os.chmod(folder, 0o755)
    code, _out, err = run(capsys, "check")
    assert code == 0, err
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    database = open_database(f"sqlite:///{db}")
    with database.write() as session:
        account_edit.create_account(session, "Acme")
        for journal in (folder / "kam.db-wal", folder / "kam.db-shm"):
            if journal.exists():
                assert stat.S_IMODE(journal.stat().st_mode) == 0o600
    database.dispose()


def test_an_export_to_a_symlink_is_refused_and_a_failed_one_leaves_no_part_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _db_with(tmp_path / "kam.db", "Acme")
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    link = tmp_path / "accounts.csv"
    link.symlink_to(target)
    code, _out, err = run(capsys, "export", "accounts", "-o", str(link), "--db", str(db))
    assert code == 2 and "symbolic link" in err
    assert target.read_text() == "keep me"
    out = tmp_path / "out.csv"
    code, _out, err = run(capsys, "export", "accounts", "-o", str(out), "--db", str(db))
    assert code == 0 and out.read_text().startswith("kam_id,")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def _damaged(db: Path) -> Path:
    """A kam database of 400 accounts whose index and table pages were trampled on (what a
    failing disk or a bad copy leaves); it still opens."""
    database = open_database(f"sqlite:///{db}")
    with database.write() as session:
        for n in range(400):
            account_edit.create_account(session, f"Account {n} " + "x" * 100)
    database.dispose()
    data = bytearray(db.read_bytes())
    page = 4096
    for offset in range(page * 3, min(len(data), page * 12), 7):
        data[offset] = 0xFF
    db.write_bytes(bytes(data))
    return db


def test_a_backup_of_a_damaged_database_is_refused_and_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _damaged(tmp_path / "kam.db")
    backup = tmp_path / "b.db"
    code, _out, err = run(capsys, "backup", str(backup), "--db", str(db))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "damaged" in err or "corrupt" in err or "malformed" in err
    assert not backup.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_an_import_into_a_damaged_database_is_refused_before_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _damaged(tmp_path / "kam.db")
    before = db.read_bytes()
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("name\nNew Co\n")
    code, _out, err = run(capsys, "import", "accounts", str(accounts), "--db", str(db))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"{db} is damaged (" in err and "nothing was written" in err
    assert db.read_bytes() == before


async def test_a_damaged_database_is_found_at_start_and_nothing_more_is_written(
    tmp_path: Path,
) -> None:
    from kam.app import KamApp
    from kam.errors import ReadOnlyError
    from tests.support import finish_start_up

    db = _damaged(tmp_path / "kam.db")
    app = KamApp(open_database(f"sqlite:///{db}"), as_of=date(2026, 11, 22))
    async with app.run_test(size=(100, 30)) as pilot:
        await finish_start_up(pilot)
        assert app.database_mark == "damaged"
        assert "damaged" in str(app.screen.query_one("TitleBar").render())
        shown = [n for n in app._notifications if n.title == "Database damaged"]
        assert shown and "is damaged (" in shown[0].message and "kam restore" in shown[0].message
        refused = pytest.raises(ReadOnlyError, match="is damaged: nothing was saved")
        with refused, app.database.write() as session:
            account_edit.create_account(session, "New Co")
        assert not app.database.stores_derived
    app.database.dispose()


async def test_a_read_only_database_is_browsed_with_a_banner_and_edits_are_refused(
    tmp_path: Path,
) -> None:
    from kam.app import KamApp
    from kam.dialogs.form import FormScreen
    from tests.support import finish_start_up, settle

    db = _db_with(tmp_path / "kam.db", "Acme 北京", "Zed GmbH")
    before = db.read_bytes()
    app = KamApp(open_database(f"sqlite:///{db}", read_only=True), as_of=date(2026, 11, 22))
    async with app.run_test(size=(100, 30)) as pilot:
        await finish_start_up(pilot)
        assert app.database_mark == "read-only"
        assert "read-only" in str(app.screen.query_one("TitleBar").render())
        banner = [n for n in app._notifications if n.title == "Read-only"]
        assert banner and banner[0].message.startswith("kam.db opened read-only. You can browse")
        await pilot.press("2")
        await settle(pilot)
        table = app.screen.query_one("#accounts")
        assert table.row_count == 2
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("e")  # edit the account: no form opens
        await settle(pilot)
        assert not isinstance(app.screen, FormScreen)
        refused = [n for n in app._notifications if n.title == "Read-only"]
        assert refused[-1].message == (
            "kam.db opened read-only: you can browse and report, not change anything"
        )
    app.database.dispose()
    assert db.read_bytes() == before


# --- hostile files: each refused with its place named, nothing written ------------------------


def _hostile(folder: Path) -> dict[str, tuple[str, bytes, str]]:
    """name -> (kind, content, the exact message)."""
    import io
    import zipfile

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("hello.txt", "hi")
    text = "name,region\nMüller GmbH,Nord\n"
    return {
        "utf16.csv": ("accounts", text.encode("utf-16-le"),
                      "kam: utf16.csv: looks like UTF-16 text without a byte-order mark; save "
                      "it as CSV UTF-8 (or Unicode text with its BOM)"),
        "nul.csv": ("accounts", b"name,region\nAcme\x00,Nord\n",
                    "kam: nul.csv: holds NUL bytes; this is not a CSV text file"),
        "big.csv": ("accounts", b"name,notes\nAcme," + b"x" * 10_000_000 + b"\n",
                    "kam: big.csv:2: a cell of 10,000,000 characters (at most 100,000)"),
        "twice.csv": ("accounts", b"name,Name,region\nAcme,Acme 2,Nord\n",
                      "kam: twice.csv:1: the column 'Name' appears twice; rename one"),
        "empty.csv": ("accounts", b"",
                      "kam: empty.csv: the file is empty (a header row is needed)"),
        "junk.csv": ("accounts", bytes(range(256)) * 50,
                     "kam: junk.csv: not UTF-8, and neither GB18030 nor Windows-1252 reads it "
                     "cleanly; save it as CSV UTF-8"),
        "zip.xlsx": ("accounts", archive.getvalue(),
                     "kam: zip.xlsx: not a readable .xlsx workbook (\"There is no item named "
                     "'[Content_Types].xml' in the archive\")"),
        "missing.csv": ("accounts", b"region,industry\nNord,Steel\n",
                        "missing.csv: no column gives the name of the accounts; its columns are "
                        "region, industry; name one with --map COLUMN=name"),
        "day.csv": ("revenue", b"account,date,amount,category\nAcme,2026-02-30,100,Parts\n",
                    "day.csv:2: column 'date': '2026-02-30' is not a date (try 2026-03-05)"),
        "huge.csv": ("revenue", b"account,date,amount,category\nAcme,2026-02-03,1e400,Parts\n",
                     "huge.csv:2: column 'amount': '1e400' is not an amount (try 12,500.00)"),
        "nan.csv": ("revenue", b"account,date,amount,category\nAcme,2026-02-03,NaN,Parts\n",
                    "nan.csv:2: column 'amount': 'NaN' is not an amount (try 12,500.00)"),
        "digits.csv": ("revenue",
                       b"account,date,amount,category\nAcme,2026-02-03," + b"1" * 30 + b",Parts\n",
                       f"digits.csv:2: column 'amount': '{'1' * 30}' is more than "
                       "100,000,000,000"),
    }  # fmt: skip


def test_hostile_files_are_refused_with_the_place_named_and_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _db_with(tmp_path / "kam.db", "Acme")
    for name, (kind, content, message) in _hostile(tmp_path).items():
        path = tmp_path / name
        path.write_bytes(content)
        code, _out, err = run(capsys, "import", kind, str(path), "--db", str(db))
        assert code == 2, (name, err)
        assert message in [line.strip() for line in err.splitlines()], (name, err)
        assert "Traceback" not in err
    database = open_database(f"sqlite:///{db}")
    with database.read() as session:
        conn = session.connection()
        accounts = conn.execute(sa.select(account_edit.Account.__table__.c.name)).scalars()
        lines = conn.execute(sa.select(sa.func.count()).select_from(RevenueLine.__table__))
        assert (list(accounts), lines.scalar_one()) == (["Acme"], 0)
    database.dispose()


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", b""),
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-16", b""),
        ("cp1252", b""),
        ("gb18030", b""),
    ],
)
def test_csv_in_the_encodings_spreadsheets_save_reads_every_name_right(
    encoding: str, bom: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = ["Café Crème SARL", "Müller GmbH", "Ørsted Åland"]
    if encoding in ("gb18030", "utf-8", "utf-16"):
        names += ["北京腾飞食品股份有限公司"] if encoding != "cp1252" else []
    path = tmp_path / "accounts.csv"
    path.write_bytes(
        bom + ("name,region\n" + "".join(f"{n},Nord\n" for n in names)).encode(encoding)
    )
    db = tmp_path / "kam.db"
    code, _out, err = run(capsys, "import", "accounts", str(path), "--db", str(db))
    assert code == 0, err
    database = open_database(f"sqlite:///{db}")
    with database.read() as session:
        got = sorted(
            session.connection().execute(sa.select(account_edit.Account.__table__.c.name)).scalars()
        )
    database.dispose()
    assert got == sorted(names)


def test_escape_sequences_in_headers_and_file_names_are_printed_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "evil\x1b]0;owned\x07.csv"
    path.write_text("name,\x1b[2Jnote\nAcme,hi\n")
    code, out, err = run(capsys, "import", "accounts", str(path), "--db", str(tmp_path / "k.db"))
    assert code == 0, err
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert "\\x1b[2Jnote" in out  # the column not imported, named harmlessly
    code, _out, err = run(capsys, "import", "accounts", str(tmp_path / "no\x1b[2J.csv"))
    assert code == 2 and "\x1b" not in err and "no\\x1b[2J.csv" in err


def test_a_database_from_a_newer_kam_is_refused_and_left_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    path = tmp_path / "kam.db"
    open_database(f"sqlite:///{path}").dispose()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = '0099'")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("name\nAcme\n")
    for command in (["check"], ["report", "pareto"], ["import", "accounts", str(accounts)]):
        code, _out, err = run(capsys, *command, "--db", str(path))
        assert code == 2 and "written by a newer kam (schema 0099); upgrade kam" in err
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("*.bak"))


def test_text_another_program_wrote_as_not_utf8_is_named_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    db = _db_with(tmp_path / "kam.db", "Acme", "Zed")
    raw = sqlite3.connect(db)
    raw.execute("UPDATE account SET name = CAST(x'41ff42' AS TEXT) WHERE name = 'Acme'")
    raw.commit()
    (key,) = raw.execute("SELECT id FROM account WHERE name <> 'Zed'").fetchone()
    raw.close()
    code, out, _err = run(capsys, "check", "--db", str(db))
    assert code == 1
    import uuid

    assert "text encoding (UTF-8): 1 values that are not UTF-8 text: account.name id " in out
    assert f"{uuid.UUID(key)}: 'A\ufffdB'" in out
    for command in (["report", "pareto"], ["export", "accounts"]):
        code, _out, err = run(capsys, *command, "--db", str(db))
        assert code == 2 and len(err.strip().splitlines()) == 1, command
        assert "holds text that is not UTF-8 (in column name)" in err and "kam check" in err


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_an_import_whose_report_cannot_be_printed_still_says_it_was_written(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    from tests.support import KAM_PROCESS

    db = _db_with(tmp_path / "kam.db", "Acme")
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("name\nNew Co\n")
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                KAM_PROCESS,
                "--db",
                str(db),
                "import",
                "accounts",
                str(accounts),
            ],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0 and "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("kam: Imported 1 accounts new") and "No space left on device" in last
    database = open_database(f"sqlite:///{db}")
    with database.read() as session:
        names = session.exec(sa.select(Account.name)).scalars().all()
    database.dispose()
    assert sorted(names) == ["Acme", "New Co"]


def test_a_postgresql_database_that_does_not_store_utf8_is_refused_in_one_line(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database created as SQL_ASCII hands back raw bytes (SQLAlchemy itself failed on its
    first connection): kam names the encoding and how to make a UTF8 database."""
    from tests.conftest import _admin

    base, _, name = postgres_url.rpartition("/")
    _admin(base + "/", f"DROP DATABASE {name}")
    _admin(base + "/", f"CREATE DATABASE {name} ENCODING 'SQL_ASCII' TEMPLATE template0")
    code, _out, err = run(capsys, "check", "--db", postgres_url)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "stores text as SQL_ASCII; kam needs a UTF8 database: CREATE DATABASE" in err


def test_reports_run_on_a_database_opened_read_only_and_leave_it_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "kam.db"
    database = open_database(f"sqlite:///{db}")
    with database.write() as session:
        account = account_edit.create_account(session, "Acme 北京")
        add_revenue(session, account.id, date(2026, 5, 1), 120_000_00)
    database.dispose()
    before = db.read_bytes()
    code, out, _err = run(
        capsys, "--read-only", "--db", str(db), "report", "pareto", "--as-of", "2026-11-22"
    )
    assert code == 0 and "Acme 北京" in out
    code, _out, err = run(
        capsys, "--read-only", "--db", str(db), "import", "accounts", str(_accounts_file(tmp_path))
    )
    assert code == 2 and err.strip() == "kam: kam.db opened read-only: nothing was saved"
    assert db.read_bytes() == before


def _accounts_file(folder: Path) -> Path:
    path = folder / "accounts.csv"
    path.write_text("name\nNew Co\n")
    return path
