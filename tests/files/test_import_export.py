"""Import and export: other tools' files, round trips, bad rows, and nothing half-written."""

from __future__ import annotations

import os
import stat
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from kam.db import Database, open_database
from kam.demo import build_demo
from kam.files import exports, imports
from kam.files.tabular import FileProblem, read_table
from kam.models import Account, ChangeRecord, Contact, Opportunity, RevenueLine, TeamMember
from kam.models.enums import OpportunityStage
from kam.services.accounts import account_edit
from kam.services.accounts.account_edit import create_account
from tests.support import KAM_PROCESS, TODAY, accounts_db, damaged, region_name, run


def import_file(
    database: Database, kind: str, path: Path, *, apply: bool = True, **options
) -> imports.ImportPlan:
    opts = imports.Options(as_of=TODAY, **options)
    if not apply:
        with database.read() as session:
            return imports.import_file(session, kind, path, opts, apply=False)
    with database.write() as session:
        return imports.import_file(session, kind, path, opts, apply=True)


def count(database: Database, model) -> int:
    with database.read() as session:
        table = model.__table__
        return session.connection().execute(sa.select(sa.func.count()).select_from(table)).scalar()


def csv_export(database: Database, kind: str) -> str:
    import io

    out = io.StringIO()
    with database.read() as session:
        exports.export(session, [kind], "csv", None, out)
    return out.getvalue()


def fresh(tmp_path: Path, name: str = "target.db") -> Database:
    return open_database(f"sqlite:///{tmp_path / name}")


# --- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_what_export_writes_import_reads_back_to_the_same_data(
    database: Database, tmp_path: Path, fmt: str
) -> None:
    build_demo(database, 40, seed=5, as_of=TODAY)
    path = tmp_path / ("export" if fmt == "csv" else f"export.{fmt}")
    with database.read() as session:
        counts = exports.export(session, list(imports.KINDS), fmt, path)
    assert counts["accounts"] == 40 and counts["revenue"] > 400
    target = fresh(tmp_path)
    with target.write() as session:
        plan = imports.import_file(session, "all", path, imports.Options(as_of=TODAY), apply=True)
    assert plan.ok, plan.describe()
    for kind in imports.KINDS:
        assert csv_export(target, kind) == csv_export(database, kind), kind
    # Importing the same export again with --update finds nothing to change.
    with target.write() as session:
        again = imports.import_file(
            session, "all", path, imports.Options(as_of=TODAY, update=True), apply=True
        )
    assert again.ok and again.writes == 0
    assert sum(k.unchanged for k in again.kinds) == sum(counts.values())
    target.dispose()


def test_cells_a_spreadsheet_would_run_are_neutralised_and_read_back(
    sqlite_database: Database, tmp_path: Path
) -> None:
    with sqlite_database.write() as session:
        create_account(session, '=HYPERLINK("http://x")', industry="+SUM(A1)", region="@evil")
    (tmp_path / "out").mkdir()
    with sqlite_database.read() as session:
        exports.export(session, ["accounts"], "csv", tmp_path / "out" / "a.csv")
        exports.export(session, ["accounts"], "xlsx", tmp_path / "out" / "a.xlsx")
    text = (tmp_path / "out" / "a.csv").read_text()
    assert "'=HYPERLINK" in text and "'+SUM(A1)" in text and "'@evil" in text
    sheet = load_workbook(tmp_path / "out" / "a.xlsx").active
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    # A workbook holds it as text, as it is: the `'` is for CSV only.
    assert any(c.value == '=HYPERLINK("http://x")' and c.data_type == "s" for c in cells)
    target = fresh(tmp_path)
    for name in ("a.csv", "a.xlsx"):
        plan = import_file(target, "accounts", tmp_path / "out" / name, update=True)
        assert plan.ok, plan.describe()
    with target.read() as session:
        account = session.exec(sa.select(Account)).scalars().one()
    assert account.name == '=HYPERLINK("http://x")' and account.industry == "+SUM(A1)"


def test_exports_are_readable_by_their_owner_only(sqlite_database: Database, tmp_path: Path):
    with sqlite_database.read() as session:
        exports.export(session, list(imports.KINDS), "csv", tmp_path / "all")
        exports.export(session, ["accounts"], "xlsx", tmp_path / "a.xlsx")
        exports.export(session, ["accounts"], "json", tmp_path / "a.json")
    files = [*(tmp_path / "all").iterdir(), tmp_path / "a.xlsx", tmp_path / "a.json"]
    for path in files:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
    assert stat.S_IMODE(os.stat(tmp_path / "all").st_mode) == 0o700


# --- other tools' files ---------------------------------------------------------------------


SALESFORCE_ACCOUNTS = (
    "Account ID,Account Name,Account Owner,Type,Industry,Annual Revenue,Billing Country\n"
    '0015g00000ABCDE,Acme Corp,Jane Roe,Customer,Chemicals,"1,250,000.00",Germany\n'
    '0015g00000ABCDF,"Globex, Inc.",Jane Roe,Prospect,Retail,,France\n'
)
SALESFORCE_CONTACTS = (
    "First Name,Last Name,Title,Email,Phone,Account Name,Account ID,Contact Owner\n"
    "Ana,Lima,CFO,ana@acme.example,+49 30 1234,ACME  corp,,Jane Roe\n"
    "Bo,Chen,Buyer,bo@globex.example,,,0015g00000ABCDF,Max Mustermann\n"
)
HUBSPOT_DEALS = (
    "Record ID,Deal Name,Deal Stage,Amount,Close Date,Deal owner,Associated Company\n"
    '901,Plant retrofit,contractsent,"48,000",2026-12-15,Jane Roe,Acme Corp\n'
    '902,Spare parts 2026,Closed Won,"12,500.50",2026-10-01,Jane Roe,Globex Inc.\n'
    "903,Pilot line,qualifiedtobuy,9000,2027-02-01,Jane Roe,acme corp\n"
)


def test_a_salesforce_and_hubspot_export_moves_in(database: Database, tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text(SALESFORCE_ACCOUNTS, encoding="utf-8-sig")
    (tmp_path / "contacts.csv").write_text(SALESFORCE_CONTACTS)
    (tmp_path / "deals.csv").write_text(HUBSPOT_DEALS.replace("Globex Inc.", '"Globex, Inc."'))
    plan = import_file(database, "accounts", tmp_path / "accounts.csv")
    assert plan.ok, plan.describe()
    assert plan.kinds[0].ignored_columns == ["Type"]
    assert set(plan.new_members) == {"Jane Roe"}
    assert import_file(database, "contacts", tmp_path / "contacts.csv").ok
    deals = import_file(database, "opportunities", tmp_path / "deals.csv")
    assert deals.ok, deals.describe()
    with database.read() as session:
        acme = session.exec(sa.select(Account).where(Account.name == "Acme Corp")).scalars().one()
        assert acme.external_ref == "0015g00000ABCDE"
        assert region_name(session, acme) == "Germany" and acme.annual_revenue_minor == 125_000_000
        owner = session.get(TeamMember, acme.owner_id)
        assert owner.name == "Jane Roe"
        contacts = {c.name: c for c in session.exec(sa.select(Contact)).scalars()}
        assert contacts["Ana Lima"].account_id == acme.id  # matched by name, case and spaces
        assert contacts["Bo Chen"].phone is None
        globex = contacts["Bo Chen"].account_id  # matched by the Salesforce account id
        assert session.get(Account, globex).name == "Globex, Inc."
        stages = {o.title: o for o in session.exec(sa.select(Opportunity)).scalars()}
    assert stages["Plant retrofit"].stage == OpportunityStage.negotiation
    assert stages["Spare parts 2026"].stage == OpportunityStage.won
    assert stages["Spare parts 2026"].closed_on == date(2026, 10, 1)
    assert stages["Spare parts 2026"].amount_minor == 1_250_050
    assert stages["Pilot line"].stage == OpportunityStage.qualification


def test_a_chinese_excel_csv_in_gbk_with_semicolons(database: Database, tmp_path: Path) -> None:
    text = (
        "客户名称;负责人;行业;年收入;地区\n"
        '上海华东机电有限公司;王伟;机械;"￥12,500.50";华东\n'
        '"北京远航\n科技";李娜;软件;(1,000.00);华北\n'
        "深圳前海;李娜;软件;800000;华南\n"
    )
    path = tmp_path / "客户.csv"
    path.write_bytes(text.encode("gbk"))
    plan = import_file(database, "accounts", path)
    assert not plan.ok
    assert [str(r) for r in plan.rejects] == [
        "客户.csv:3: column '年收入': annual revenue cannot be negative"
    ]
    assert count(database, Account) == 0  # nothing half-written
    path.write_bytes(text.replace("(1,000.00)", "1000").encode("gbk"))
    plan = import_file(database, "accounts", path)
    assert plan.ok
    with database.read() as session:
        names = set(session.exec(sa.select(Account.name)).scalars())
        shanghai = (
            session.exec(sa.select(Account).where(Account.name == "上海华东机电有限公司"))
            .scalars()
            .one()
        )
        shanghai_region = region_name(session, shanghai)
    assert names == {"上海华东机电有限公司", "北京远航 科技", "深圳前海"}
    assert shanghai.annual_revenue_minor == 1_250_050 and shanghai_region == "华东"


def test_an_xlsx_sheet_with_real_dates_and_numbers(database: Database, tmp_path: Path) -> None:
    create_in(database, "Acme Corp")
    book = Workbook()
    sheet = book.active
    sheet.append(["Account", "Invoice date", "Product", "Amount", "Cost"])
    sheet.append(["Acme Corp", datetime(2026, 3, 5), "Service", 1234.5, 600])
    sheet.append(["acme corp", "05/04/2026", "Parts", "2,000.00", None])
    book.save(tmp_path / "revenue.xlsx")
    plan = import_file(database, "revenue", tmp_path / "revenue.xlsx", dayfirst=True)
    assert plan.ok, plan.describe()
    with database.read() as session:
        lines = sorted(
            session.exec(sa.select(RevenueLine)).scalars(), key=lambda line: line.booked_on
        )
    assert [(x.booked_on, x.amount_minor, x.cost_minor) for x in lines] == [
        (date(2026, 3, 5), 123450, 60000),
        (date(2026, 4, 5), 200000, 0),
    ]


def create_in(database: Database, *names: str) -> None:
    with database.write() as session:
        for name in names:
            create_account(session, name)


# --- bad rows -------------------------------------------------------------------------------


def test_every_bad_row_is_reported_with_line_column_and_reason_and_nothing_is_written(
    database: Database, tmp_path: Path
) -> None:
    create_in(database, "Acme Corp")
    path = tmp_path / "revenue.csv"
    path.write_text(
        "account,booked_on,category,amount\n"
        "Acme Corp,2026-01-10,Service,100.00\n"
        "Acme Corp,2026-02-30,Service,100.00\n"
        "Acme Corp,2026-03-01,Service,$1.2k\n"
        "Nobody Ltd,2026-03-01,Service,5\n"
        "Acme Corp,2026-03-01,,5\n"
        "Acme Corp,2026-03-01,Service,5.5.5\n"
        "Acme Corp,2026-03-02,Service,5,extra\n"
    )
    plan = import_file(database, "revenue", path)
    assert [str(r) for r in plan.rejects] == [
        "revenue.csv:3: column 'booked_on': '2026-02-30' is not a date (try 2026-03-05)",
        "revenue.csv:4: column 'amount': '$1.2k' is shorthand; write the full amount "
        "(e.g. 1,200.00)",
        "revenue.csv:5: column 'account': no account is named 'Nobody Ltd' (--create-accounts "
        "makes it)",
        "revenue.csv:6: column 'category': category is required",
        "revenue.csv:7: column 'amount': '5.5.5' is not an amount (try 12,500.00)",
        "revenue.csv:8: 5 cells but the header has 4 columns",
    ]
    assert count(database, RevenueLine) == 0


def test_the_command_line_reports_bad_rows_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "kam.db"
    path = tmp_path / "accounts.csv"
    path.write_text("Company name,Annual Revenue\nGood Co,100\nBad Co,12abc\n")
    code, out, err = run(capsys, "import", "accounts", str(path), "--db", str(db))
    assert code == 2 and out == ""
    assert "accounts.csv:3: column 'Annual Revenue': '12abc' is not an amount" in err
    assert "nothing was written" in err
    code, out, err = run(
        capsys,
        "import",
        "accounts",
        str(path),
        "--db",
        str(db),
        "--dry-run",
        "--map",
        "Annual Revenue=-",
    )
    assert code == 0 and "would create 2" in out and "dry run: nothing was written" in out
    assert count(open_database(f"sqlite:///{db}"), Account) == 0
    code, out, err = run(
        capsys, "import", "accounts", str(path), "--db", str(db), "--map", "Annual Revenue=-"
    )
    assert code == 0 and "created 2" in out
    code, _, err = run(capsys, "import", "accounts", str(tmp_path / "missing.csv"), "--db", str(db))
    assert code == 2 and err.strip() == f"kam: no such file: {tmp_path / 'missing.csv'}"
    code, _, err = run(capsys, "import", "accounts", str(path), "--db", str(db), "--map", "x")
    assert code == 2 and "write COLUMN=field" in err


def test_duplicates_are_refused_unless_updating(database: Database, tmp_path: Path) -> None:
    create_in(database, "Acme Corp")
    path = tmp_path / "a.csv"
    path.write_text("name,industry,strategic\n  acme   CORP ,Chemicals,yes\nNew Co,,no\n")
    plan = import_file(database, "accounts", path)
    assert [str(r) for r in plan.rejects] == [
        "a.csv:2: account 'acme CORP' is in kam already; use --update to update it"
    ]
    assert count(database, Account) == 1
    plan = import_file(database, "accounts", path, update=True)
    assert plan.ok and len(plan.kinds[0].updates) == 1 and len(plan.kinds[0].creates) == 1
    with database.read() as session:
        acme = session.exec(sa.select(Account).where(Account.name_key == "acme corp")).scalars()
        acme = acme.one()
        history = (
            session.exec(sa.select(ChangeRecord.field).where(ChangeRecord.account_id == acme.id))
            .scalars()
            .all()
        )
    assert acme.name == "acme CORP" and acme.industry == "Chemicals" and acme.strategic
    assert {"industry", "strategic"} <= set(history)


def test_the_same_account_twice_in_a_file(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("name\nAcme\n ACME \n")
    plan = import_file(database, "accounts", path)
    assert [str(r) for r in plan.rejects] == ["a.csv:3: column 'name': the same account as line 2"]


def test_unreadable_files_say_what_is_wrong(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "quote.csv").write_bytes(b'name\n"Acme, "Co\n')
    (tmp_path / "binary.csv").write_bytes(b"\x00\x01\x02name")
    (tmp_path / "bad.xlsx").write_bytes(b"not a zip")
    expected = {
        "empty.csv": "empty.csv: the file is empty",
        "binary.csv": "binary.csv: holds NUL bytes",
        "bad.xlsx": "bad.xlsx: not a readable .xlsx workbook",
        "quote.csv": "quote.csv:2: cannot read the row",
    }
    for name, message in expected.items():
        with pytest.raises(FileProblem, match=message.replace(".", r"\.").replace("(", r"\(")):
            read_table(tmp_path / name)


def test_an_import_killed_half_way_leaves_all_or_nothing(tmp_path: Path) -> None:
    """SIGKILL after the first batch was written: the file is intact and holds none of it."""
    import signal
    import subprocess
    import sys

    db = tmp_path / "kam.db"
    open_database(f"sqlite:///{db}").dispose()
    path = tmp_path / "big.csv"
    path.write_text("name,region\n" + "".join(f"Account {i:05d},North\n" for i in range(30000)))
    process = subprocess.Popen(
        [sys.executable, "-c", KAM_PROCESS, "--db", str(db), "import", "accounts", str(path)],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if "writing" in line:
            process.send_signal(signal.SIGKILL)
            break
    process.wait()
    assert process.returncode == -signal.SIGKILL
    database = open_database(f"sqlite:///{db}")
    with database.read() as session:
        conn = session.connection()
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        accounts = conn.execute(sa.select(sa.func.count()).select_from(Account.__table__)).scalar()
    assert accounts in (0, 30000)
    database.dispose()


def test_kam_s_own_json_export_with_empty_kinds_imports_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = accounts_db(tmp_path / "a.db", "Acme 北京")
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


def test_an_export_to_a_symlink_is_refused_and_a_failed_one_leaves_no_part_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = accounts_db(tmp_path / "kam.db", "Acme")
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    link = tmp_path / "accounts.csv"
    link.symlink_to(target)
    code, _out, err = run(capsys, "export", "accounts", "-o", str(link), "--db", str(db))
    assert code == 2 and "symbolic link" in err
    assert target.read_text() == "keep me"
    out = tmp_path / "out.csv"
    code, _out, err = run(capsys, "export", "accounts", "-o", str(out), "--db", str(db))
    assert code == 0 and out.read_text(encoding="utf-8-sig").startswith("kam_id,")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_an_import_into_a_damaged_database_is_refused_before_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = damaged(tmp_path / "kam.db")
    before = db.read_bytes()
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("name\nNew Co\n")
    code, _out, err = run(capsys, "import", "accounts", str(accounts), "--db", str(db))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"{db} is damaged (" in err and "nothing was written" in err
    assert db.read_bytes() == before


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
                     "cleanly; save it as CSV UTF-8, or name its encoding with --encoding "
                     "(e.g. cp1252)"),
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
    db = accounts_db(tmp_path / "kam.db", "Acme")
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
