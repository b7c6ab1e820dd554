"""Files shaped as people have them, read right or refused with the reason, never wrong
without a word: the encoding a Western European Excel saves, dates whose order only the whole
column tells, a Salesforce Data Loader extract of opportunities by its API names."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from kam.db import Database, open_database
from kam.models import Account, Opportunity, RevenueLine
from kam.models.enums import OpportunityStage
from kam.services.accounts.account_edit import create_account
from tests.support import TODAY, accounts_db, run

REVENUE_HEADER = "account,date,amount,category\n"


def _revenue_file(tmp_path: Path, *dates: str, name: str = "ledger.csv") -> Path:
    path = tmp_path / name
    path.write_text(REVENUE_HEADER + "".join(f"Acme,{d},100,Parts\n" for d in dates))
    return path


def _refusal(capsys: pytest.CaptureFixture[str], path: Path, db: Path, *extra: str) -> list[str]:
    """The lines `kam import revenue` refuses the file with (exit code 2)."""
    code, _out, err = run(capsys, "import", "revenue", str(path), "--db", str(db), *extra)
    assert code == 2, err
    return [line.strip() for line in err.splitlines()]


def _booked(db: Path) -> list[date]:
    database = open_database(f"sqlite:///{db}")
    with database.read() as session:
        days = sorted(
            session.connection().execute(sa.select(RevenueLine.__table__.c.booked_on)).scalars()
        )
    database.dispose()
    return days


# --- encodings ------------------------------------------------------------------------------


def test_a_western_european_excel_csv_is_read_as_windows_1252_and_the_report_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "kunden.csv"
    path.write_bytes("name;region\nMüller GmbH;Süd\nCafé Crème SARL;Nord\n".encode("cp1252"))
    db = tmp_path / "kam.db"
    code, out, err = run(capsys, "import", "accounts", str(path), "--db", str(db))
    assert code == 0, err
    assert "  read as Windows-1252 (detected)" in out.splitlines()
    database = open_database(f"sqlite:///{db}")
    with database.read() as session:
        names = sorted(session.connection().execute(sa.select(Account.__table__.c.name)).scalars())
    database.dispose()
    assert names == ["Café Crème SARL", "Müller GmbH"]


def test_an_encoding_named_on_the_command_line_is_used_or_refused_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "kunden.csv"
    path.write_bytes("name\nAcme\nMüller GmbH\n".encode("cp1252"))
    db = tmp_path / "kam.db"
    code, _out, err = run(
        capsys, "import", "accounts", str(path), "--db", str(db), "--encoding", "utf-8"
    )
    assert code == 2
    assert err.strip() == (
        "kam: kunden.csv:3: not utf-8 text (byte 12: b'\\xfc'); try another --encoding"
    )
    code, _out, err = run(
        capsys, "import", "accounts", str(path), "--db", str(db), "--encoding", "klingon"
    )
    assert code == 2 and "--encoding 'klingon' is not an encoding Python knows" in err
    # latin-1 reads every byte: named, it is taken as asked, and says so.
    code, out, err = run(
        capsys, "import", "accounts", str(path), "--db", str(db), "--encoding", "latin-1"
    )
    assert code == 0, err
    assert "  read as iso8859-1" in out.splitlines()


# --- the order of day and month -------------------------------------------------------------


def test_a_column_of_dates_is_read_in_the_one_order_its_values_allow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = accounts_db(tmp_path / "kam.db", "Acme")
    day_first = _revenue_file(tmp_path, "05/03/2026", "13/03/2026", name="eu.csv")
    code, out, err = run(capsys, "import", "revenue", str(day_first), "--db", str(db))
    assert code == 0, err
    assert (
        "  column 'date': dates read day first (13/03/2026 on line 3 can only be 13 March; "
        "so 05/03/2026 is 5 March)"
    ) in out.splitlines()
    assert _booked(db) == [date(2026, 3, 5), date(2026, 3, 13)]

    db = accounts_db(tmp_path / "us.db", "Acme")
    month_first = _revenue_file(tmp_path, "05/03/2026", "03/13/2026", name="us.csv")
    code, out, err = run(capsys, "import", "revenue", str(month_first), "--db", str(db))
    assert code == 0, err
    assert _booked(db) == [date(2026, 3, 13), date(2026, 5, 3)]


def test_dates_with_dots_are_day_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    db = accounts_db(tmp_path / "kam.db", "Acme")
    path = _revenue_file(tmp_path, "05.03.2026", "04.03.2026")
    code, out, err = run(capsys, "import", "revenue", str(path), "--db", str(db))
    assert code == 0, err
    assert "  column 'date': dates with dots read day first (05.03.2026 is 5 March)" in out
    assert _booked(db) == [date(2026, 3, 4), date(2026, 3, 5)]


@pytest.mark.parametrize(
    ("dates", "option", "message"),
    [
        (("05/03/2026", "04/03/2026"), None,
         "ledger.csv: column 'date': every date in it could be read two ways (05/03/2026 on "
         "line 2: 5 March or 3 May); say which with --dayfirst or --monthfirst (in the import "
         "screen: Dates)"),
        (("05/03/2026", "03/13/2026", "13/03/2026"), None,
         "ledger.csv: column 'date': holds day-first dates (13/03/2026 on line 4) and "
         "month-first ones (03/13/2026 on line 3); which the others are cannot be told: make "
         "the column one or the other"),
        (("05/03/2026", "13/03/2026"), "--monthfirst",
         "ledger.csv: column 'date': --monthfirst was given, but 13/03/2026 on line 3 is day "
         "first"),
    ],
)  # fmt: skip
def test_a_column_whose_order_cannot_be_told_is_refused_and_nothing_written(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    dates: tuple[str, ...],
    option: str | None,
    message: str,
) -> None:
    db = accounts_db(tmp_path / "kam.db", "Acme")
    path = _revenue_file(tmp_path, *dates)
    extra = [option] if option else []
    assert message in _refusal(capsys, path, db, *extra)
    assert _booked(db) == []


def test_the_order_given_reads_a_column_no_value_decides(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _revenue_file(tmp_path, "05/03/2026", "04/03/2026")
    for option, expected in (
        ("--dayfirst", [date(2026, 3, 4), date(2026, 3, 5)]),
        ("--monthfirst", [date(2026, 4, 3), date(2026, 5, 3)]),
    ):
        db = accounts_db(tmp_path / f"kam{option}.db", "Acme")
        code, _out, err = run(capsys, "import", "revenue", str(path), "--db", str(db), option)
        assert code == 0, err
        assert _booked(db) == expected


# --- Salesforce by its API names ------------------------------------------------------------

DATA_LOADER_OPPORTUNITIES = (
    "Id,AccountId,Name,StageName,Amount,Probability,CloseDate,IsClosed,IsWon,OwnerId,"
    "CreatedDate,Type,Loss_Reason__c\n"
    "0065g00000AbCdE,0015g00000ACME1,Acme expansion,Closed Won,12000.00,100,2026-03-31,true,"
    "true,0055g00000XyZ,2026-01-05T10:00:00.000Z,New Business,\n"
    "0065g00000AbCdF,0015g00000ACME1,Acme renewal,Negotiation/Review,5000,90,2026-06-30,false,"
    "false,0055g00000XyZ,2026-02-05T10:00:00.000Z,Existing Business,\n"
    "0065g00000AbCdG,0015g00000ACME1,Acme pilot,Closed Lost,3000,0,2026-02-28,true,false,"
    "0055g00000XyZ,2026-01-05T10:00:00.000Z,New Business,Price\n"
)


def _salesforce_account(database: Database) -> None:
    with database.write() as session:
        acme = create_account(session, "Acme")
        acme.external_ref = "0015g00000ACME1"


def _import(database: Database, path: Path, **options):
    from kam.files import imports

    with database.write() as session:
        return imports.import_file(
            session, "opportunities", path, imports.Options(as_of=TODAY, **options), apply=True
        )


def test_a_data_loader_extract_of_opportunities_reads_by_api_names(
    database: Database, tmp_path: Path
) -> None:
    _salesforce_account(database)
    path = tmp_path / "opportunities.csv"
    path.write_text(DATA_LOADER_OPPORTUNITIES)
    plan = _import(database, path)
    assert plan.ok, plan.describe()
    assert plan.kinds[0].ignored_columns == ["OwnerId", "Type"]
    with database.read() as session:
        deals = {o.title: o for o in session.exec(sa.select(Opportunity)).scalars()}
    won, open_, lost = deals["Acme expansion"], deals["Acme renewal"], deals["Acme pilot"]
    assert (won.stage, won.probability, won.closed_on) == (
        OpportunityStage.won,
        100,
        date(2026, 3, 31),
    )
    assert (won.amount_minor, won.opened_on) == (1_200_000, date(2026, 1, 5))
    assert (open_.stage, open_.probability, open_.probability_overridden) == (
        OpportunityStage.negotiation,
        90,
        True,
    )
    assert open_.expected_close == date(2026, 6, 30) and open_.closed_on is None
    assert (lost.stage, lost.probability, lost.close_reason) == (OpportunityStage.lost, 0, "Price")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("Closed Won,12000.00,100", "Prospecting,12000.00,100"),
         "opportunities.csv:2: column 'IsClosed': the stage is prospecting, but this says the "
         "deal is closed"),
        (("true,true,0055", "false,true,0055"),
         "opportunities.csv:2: column 'IsClosed': the stage is won, but this says the deal is "
         "not closed"),
        (("Closed Lost,3000,0,2026-02-28,true,false", "Closed Lost,3000,0,2026-02-28,true,true"),
         "opportunities.csv:4: column 'IsWon': the stage is lost, but this says the deal was "
         "won"),
        (("Negotiation/Review,5000,90", "Negotiation/Review,5000,100"),
         "opportunities.csv:3: column 'Probability': the stage is negotiation, open, but at "
         "100% it is won: give its stage (won) or its odds, or leave the column out with --map "
         "COLUMN=-"),
        (("Closed Lost,3000,0", "Closed Lost,3000,20"),
         "opportunities.csv:4: column 'Probability': the stage is lost, which is 0%, not 20%"),
    ],
)  # fmt: skip
def test_a_deal_whose_own_row_contradicts_its_stage_is_refused(
    database: Database, tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    _salesforce_account(database)
    path = tmp_path / "opportunities.csv"
    text = DATA_LOADER_OPPORTUNITIES.replace(*change)
    assert text != DATA_LOADER_OPPORTUNITIES
    path.write_text(text)
    plan = _import(database, path)
    assert [str(r) for r in plan.rejects] == [message]
    with database.read() as session:
        assert session.exec(sa.select(sa.func.count()).select_from(Opportunity)).scalar() == 0


def test_kam_check_names_an_open_deal_at_a_closed_deal_s_odds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kam.services.pipeline import deals

    path = tmp_path / "kam.db"
    database = open_database(f"sqlite:///{path}")
    with database.write() as session:
        acme = create_account(session, "Acme")
        session.flush()
        deals.create_deal(
            session,
            acme.id,
            {"title": "Retrofit", "stage": "proposal", "amount_minor": "1000"},
            "me",
            TODAY,
        )
    code, out, _ = run(capsys, "check", "--db", str(path))
    assert code == 0 and "ok       deal stages" in out
    with database.write() as session:  # as an older kam's import left it
        session.connection().exec_driver_sql(
            "UPDATE opportunity SET probability = 100, probability_overridden = 1"
        )
    database.dispose()
    code, out, _ = run(capsys, "check", "--db", str(path))
    assert code == 1
    assert "PROBLEM  deal stages: 1 deals whose stage, close date and probability disagree" in out


def test_the_deal_form_refuses_an_open_deal_at_a_closed_deal_s_odds(database: Database) -> None:
    from kam.errors import InputErrors
    from kam.services.pipeline import deals

    with database.write() as session:
        acme = create_account(session, "Acme")
        session.flush()
        for odds, outcome in (("100", "won"), ("0", "lost")):
            raw = {
                "title": "Retrofit",
                "stage": "proposal",
                "amount_minor": "1000",
                "probability_override": odds,
            }
            with pytest.raises(InputErrors) as caught:
                deals.create_deal(session, acme.id, raw, "me", TODAY)
            assert caught.value.errors == {
                "probability_override": f"an open deal at {odds}% is {outcome}: set the stage "
                f"to {outcome}, or give its odds"
            }
        raw = {**raw, "probability_override": "75"}
        assert deals.create_deal(session, acme.id, raw, "me", TODAY).probability == 75


# --- amounts as ledgers and European spreadsheets write them --------------------------------


def _amounts(db: Path) -> list[int]:
    database = open_database(f"sqlite:///{db}")
    with database.read() as session:
        column = RevenueLine.__table__.c.amount_minor
        found = list(session.connection().execute(sa.select(column).order_by(column)).scalars())
    database.dispose()
    return found


@pytest.mark.parametrize(
    ("text", "delimiter", "amounts", "note"),
    [
        ('"USD 1,200.00"\n"$2,000"\n', ",", [120000, 200000],
         "  column 'amount': amounts in USD, kept as they are (not converted)"),
        ("1.234,50\n100,00\n", ";", [10000, 123450],
         "  column 'amount': amounts read with a decimal comma (1.234,50 on line 2)"),
        ('"1,234.50元"\nRMB 300\n-¥200\n', ",", [-20000, 30000, 123450],
         "  column 'amount': amounts in CNY, kept as they are (not converted)"),
        ("1.200\n950\n", ";", [95000, 120000],
         "  column 'amount': amounts read with a decimal comma (1.200 on line 2)"),
        ('"(1,234.00)"\n300-\n5000\n', ",", [-123400, -30000, 500000], None),
    ],
)  # fmt: skip
def test_amounts_in_the_forms_ledgers_write_import_as_they_mean(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    text: str,
    delimiter: str,
    amounts: list[int],
    note: str | None,
) -> None:
    db = accounts_db(tmp_path / "kam.db", "Acme")
    path = tmp_path / "ledger.csv"
    header = delimiter.join(("account", "date", "category", "amount"))
    rows = [delimiter.join(("Acme", "2026-03-05", "Parts", cell)) for cell in text.splitlines()]
    path.write_text("\n".join([header, *rows]) + "\n")
    code, out, err = run(capsys, "import", "revenue", str(path), "--db", str(db))
    assert code == 0, err
    assert _amounts(db) == amounts
    if note:
        assert note in out.splitlines()
    else:
        assert "column 'amount'" not in out


def test_a_chinese_ledger_with_credit_notes_nets_them_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """红冲: a credit note is the sale's amount with a minus, standing against it."""
    db = accounts_db(tmp_path / "kam.db", "北京远航科技")
    path = tmp_path / "台账.csv"
    path.write_text(
        "客户名称,日期,类别,金额,摘要\n"
        '北京远航科技,2026-03-05,设备,"¥12,000.00",销售\n'
        '北京远航科技,2026-03-20,设备,"-¥2,000.00",红冲\n'
    )
    code, _out, err = run(capsys, "import", "revenue", str(path), "--db", str(db))
    assert code == 0, err
    assert _amounts(db) == [-200000, 1200000]
    code, out, err = run(capsys, "report", "pareto", "--db", str(db), "--as-of", "2026-06-30")
    assert code == 0, err
    assert "10,000" in out


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (("1.234,50", "1,234.50"),
         "ledger.csv: column 'amount': holds amounts with a decimal comma (1.234,50 on line 2) "
         "and with a decimal point (1,234.50 on line 3); make the column one or the other"),
        (("USD 100", "EUR 100"),
         "ledger.csv: column 'amount': holds amounts in USD (USD 100 on line 2) and EUR (EUR 100 "
         "on line 3); kam keeps one currency and converts nothing: import them apart"),
        (("1.2k", "100"),
         "ledger.csv:2: column 'amount': '1.2k' is shorthand; write the full amount "
         "(e.g. 1,200.00)"),
    ],
)  # fmt: skip
def test_a_column_of_amounts_kam_cannot_read_one_way_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cells: tuple[str, ...], message: str
) -> None:
    db = accounts_db(tmp_path / "kam.db", "Acme")
    path = tmp_path / "ledger.csv"
    path.write_text(
        "account;date;category;amount\n" + "".join(f"Acme;2026-03-05;Parts;{c}\n" for c in cells)
    )
    assert message in _refusal(capsys, path, db)
    assert _amounts(db) == []


# --- a ledger whose customers are not accounts yet ------------------------------------------


def test_create_accounts_makes_the_accounts_a_ledger_names_once_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = accounts_db(tmp_path / "kam.db", "Bolt AB")
    path = tmp_path / "ledger.csv"
    path.write_text(
        REVENUE_HEADER
        + "Acme,2026-03-05,100,Parts\n"
        + "北京远航科技,2026-03-05,200,Parts\n"
        + "  acme ,2026-03-06,50,Parts\n"
        + "Bolt AB,2026-03-06,70,Parts\n"
    )
    code, _out, err = run(capsys, "import", "revenue", str(path), "--db", str(db))
    assert code == 2
    assert (
        "ledger.csv:2: column 'account': no account is named 'Acme' (--create-accounts makes it)"
        in [line.strip() for line in err.splitlines()]
    )
    code, out, err = run(
        capsys, "import", "revenue", str(path), "--db", str(db), "--create-accounts"
    )
    assert code == 0, err
    assert "new accounts created (2): Acme, 北京远航科技" in out.splitlines()
    database = open_database(f"sqlite:///{db}")
    with database.read() as session:
        conn = session.connection()
        line, acct = RevenueLine.__table__, Account.__table__
        per_account = dict(
            conn.execute(
                sa.select(acct.c.name, sa.func.sum(line.c.amount_minor))
                .join(line, line.c.account_id == acct.c.id)
                .group_by(acct.c.name)
            ).all()
        )
        from kam.models import ChangeRecord

        created = conn.execute(
            sa.select(sa.func.count()).select_from(ChangeRecord.__table__)
        ).scalar()
    database.dispose()
    assert per_account == {"Acme": 15000, "北京远航科技": 20000, "Bolt AB": 7000}
    assert created >= 2  # each new account's creation is in its history


# --- spreadsheets and reports as people save them -------------------------------------------

SALESFORCE_REPORT = (
    '"Opportunity Pipeline"\n'
    '"As of 12/3/2026"\n'
    "\n"
    '"Account Name","Opportunity Name","Stage","Amount","Close Date"\n'
    '"Acme","Expansion","Prospecting","1,000.00","2026-12-31"\n'
    '"Acme","Renewal","Negotiation/Review","2,000.00","2026-11-30"\n'
    '"Total","","","3,000.00",""\n'
    "\n"
    '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\n'
    '"Confidential Information - Do Not Distribute"\n'
    '"Generated By:  Jane Roe  12/3/2026, 10:00 AM"\n'
    '"Acme Inc."\n'
)


def test_a_salesforce_report_export_imports_without_its_title_total_and_footer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = accounts_db(tmp_path / "kam.db", "Acme")
    path = tmp_path / "report.csv"
    path.write_text(SALESFORCE_REPORT)
    code, out, err = run(capsys, "import", "opportunities", str(path), "--db", str(db))
    assert code == 0, err
    assert out.splitlines()[:4] == [
        "report.csv: 2 rows of opportunities: created 2, updated 0, unchanged 0, rejected 0",
        "  report.csv:7 left out: totals (1 row)",
        "  the header is line 4; the rows above it left out ('Opportunity Pipeline')",
        "  report.csv:9 to 12 left out: the report's footer ('Copyright (c) 2000-2026 "
        "salesforce.com, …')",
    ]
    database = open_database(f"sqlite:///{db}")
    with database.read() as session:
        deals = {
            o.title: (o.stage, o.amount_minor)
            for o in session.exec(sa.select(Opportunity)).scalars()
        }
    database.dispose()
    assert deals == {
        "Expansion": (OpportunityStage.prospecting, 100000),
        "Renewal": (OpportunityStage.negotiation, 200000),
    }


def test_the_header_row_can_be_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = accounts_db(tmp_path / "kam.db", "Acme")
    path = tmp_path / "report.csv"
    path.write_text(SALESFORCE_REPORT)
    code, _out, err = run(
        capsys, "import", "opportunities", str(path), "--db", str(db), "--header-row", "2"
    )
    assert code == 2
    assert "no column gives the title of the opportunities; its columns are As of 12/3/2026" in err
    code, _out, err = run(
        capsys, "import", "opportunities", str(path), "--db", str(db), "--header-row", "4"
    )
    assert code == 0, err
    code, _out, err = run(
        capsys, "import", "opportunities", str(path), "--db", str(db), "--header-row", "3"
    )
    assert code == 2 and "kam: report.csv:3: no such row, or it is blank" in err


def test_rows_of_one_value_after_a_blank_line_are_data_unless_they_read_as_a_footer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text("name,region\nAcme,Nord\n\nBolt AB\nZeta 株式会社\n")
    db = tmp_path / "kam.db"
    code, out, err = run(capsys, "import", "accounts", str(path), "--db", str(db))
    assert code == 0, err
    assert "created 3" in out and "left out" not in out


def test_a_chinese_ledger_workbook_with_a_title_merged_customers_and_a_total(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["销售台账 2026年3月"])
    sheet.merge_cells("A1:D1")
    sheet.append([])
    sheet.append(["客户名称", "日期", "类别", "金额"])
    sheet.append(["北京远航科技", date(2026, 3, 5), "设备", 100])
    sheet.append([None, date(2026, 3, 6), "设备", 200])
    sheet.append([None, date(2026, 3, 7), "服务", -50])
    sheet.merge_cells("A4:A6")
    sheet.append(["Bolt AB", date(2026, 3, 8), "服务", 70])
    sheet.append(["合计", None, None, 320])
    path = tmp_path / "台账.xlsx"
    book.save(path)
    db = accounts_db(tmp_path / "kam.db", "北京远航科技", "Bolt AB")
    code, out, err = run(capsys, "import", "revenue", str(path), "--db", str(db))
    assert code == 0, err
    assert out.splitlines()[:4] == [
        "台账.xlsx: 4 rows of revenue: created 4, updated 0, unchanged 0, rejected 0",
        "  merged cells: 2 cells given the value of the cell merged over them",
        "  台账.xlsx row 8 left out: totals (1 row)",
        "  the header is row 3; the rows above it left out ('销售台账 2026年3月')",
    ]
    database = open_database(f"sqlite:///{db}")
    with database.read() as session:
        line, acct = RevenueLine.__table__, Account.__table__
        per_account = dict(
            session.connection()
            .execute(
                sa.select(acct.c.name, sa.func.sum(line.c.amount_minor))
                .join(line, line.c.account_id == acct.c.id)
                .group_by(acct.c.name)
            )
            .all()
        )
    database.dispose()
    assert per_account == {"北京远航科技": 25000, "Bolt AB": 7000}


def test_a_hubspot_deal_of_two_companies_goes_to_the_first_and_the_report_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = accounts_db(tmp_path / "kam.db", "Hooli", "Pied Piper", "Raviga; Capital")
    path = tmp_path / "deals.csv"
    path.write_text(
        "Deal Name,Deal Stage,Amount,Close Date,Associated Company\n"
        "Retrofit,contractsent,1000,2026-12-31,Hooli;Pied Piper\n"
        "Pilot,appointmentscheduled,500,2026-12-31,Pied Piper\n"
        "Fund,appointmentscheduled,500,2026-12-31,Raviga; Capital\n"
    )
    code, out, err = run(capsys, "import", "opportunities", str(path), "--db", str(db))
    assert code == 0, err
    assert (
        "  rows naming several accounts (HubSpot's associated companies) went to the first: "
        "deals.csv:2 to Hooli (not Pied Piper)"
    ) in out.splitlines()
    database = open_database(f"sqlite:///{db}")
    with database.read() as session:
        deal, acct = Opportunity.__table__, Account.__table__
        placed = dict(
            session.connection()
            .execute(
                sa.select(deal.c.title, acct.c.name).join(acct, acct.c.id == deal.c.account_id)
            )
            .all()
        )
    database.dispose()
    # an account whose own name holds a semicolon is that account, not two
    assert placed == {"Retrofit": "Hooli", "Pilot": "Pied Piper", "Fund": "Raviga; Capital"}


# --- out: a workbook as a person would lay it out -------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "json", "csv"])
def test_an_export_imports_back_byte_for_byte_with_chinese_emoji_newlines_and_quotes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    from kam.services.people import contacts

    odd = ["'=genuine", "=HYPERLINK(1)", "北京 🚀 line\nnext", 'say "hi", ok', "  ' lead"]

    def fill(session) -> None:
        acme = create_account(session, "北京远航科技 🚀")
        session.flush()
        for n, text in enumerate(odd):
            contacts.create_contact(session, acme.id, {"name": f"C{n}", "notes": text}, "t")

    from tests.support import build

    source = build(tmp_path / "a.db", fill)
    out = tmp_path / ("everything" if fmt == "csv" else f"everything.{fmt}")
    code, _out, err = run(
        capsys, "export", "all", "--format", fmt, "-o", str(out), "--db", str(source)
    )
    assert code == 0, err
    target = tmp_path / "b.db"
    code, _out, err = run(capsys, "import", "all", str(out), "--db", str(target))
    assert code == 0, err
    database = open_database(f"sqlite:///{target}")
    with database.read() as session:
        from kam.models import Contact

        got = dict(session.exec(sa.select(Contact.name, Contact.notes)).all())
    database.dispose()
    assert got == {f"C{n}": text.strip() for n, text in enumerate(odd)}


def test_a_workbook_export_has_dates_money_a_bold_frozen_filtered_header_and_widths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import datetime

    from openpyxl import load_workbook

    from kam.services.wallet.revenue import add_revenue
    from tests.support import build

    def fill(session) -> None:
        acme = create_account(session, "北京远航科技股份有限公司")
        session.flush()
        add_revenue(session, acme.id, date(2026, 3, 5), 1_234_50, category="=SUM(A1)")

    db = build(tmp_path / "kam.db", fill)
    out = tmp_path / "revenue.xlsx"
    code, _out, err = run(
        capsys, "export", "revenue", "--format", "xlsx", "-o", str(out), "--db", str(db)
    )
    assert code == 0, err
    sheet = load_workbook(out)["revenue"]
    header = [c.value for c in sheet[1]]
    assert header == ["kam_id", "account", "account_id", "booked_on", "category", "amount", "cost"]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:G2"
    row = {name: cell for name, cell in zip(header, sheet[2], strict=True)}
    assert row["booked_on"].value == datetime(2026, 3, 5)
    assert row["booked_on"].number_format == "yyyy-mm-dd"
    assert (row["amount"].value, row["amount"].number_format) == (1234.5, "#,##0.00")
    assert (row["category"].value, row["category"].data_type) == ("=SUM(A1)", "s")
    # 13 Chinese characters take 26 columns on screen: the column is as wide
    assert sheet.column_dimensions["B"].width >= 26
    assert sheet.column_dimensions["D"].width < sheet.column_dimensions["B"].width


def test_a_csv_file_carries_a_bom_for_excel_and_standard_output_takes_dash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import io
    import sys

    db = accounts_db(tmp_path / "kam.db", "北京远航科技")
    path = tmp_path / "accounts.csv"
    code, _out, err = run(capsys, "export", "accounts", "-o", str(path), "--db", str(db))
    assert code == 0, err
    assert path.read_bytes().startswith(b"\xef\xbb\xbfkam_id,")
    code, _out, err = run(
        capsys, "export", "accounts", "-o", str(path), "--no-bom", "--db", str(db)
    )
    assert code == 0 and path.read_bytes().startswith(b"kam_id,")
    code, out, err = run(capsys, "export", "accounts", "-o", "-", "--db", str(db))
    assert code == 0 and out.startswith("kam_id,") and "北京远航科技" in out
    code, out, _err = run(capsys, "report", "pareto", "-o", "-", "--db", str(db))
    assert code == 0 and "Pareto classification" in out
    code, _out, err = run(capsys, "export", "all", "-o", "-", "--db", str(db))
    assert code == 2 and "everything as CSV is a file per kind: -o FOLDER" in err

    class Bytes(io.StringIO):  # standard output with the binary side a workbook goes to
        def __init__(self) -> None:
            super().__init__()
            self.buffer = io.BytesIO()

    stdout, sys.stdout = sys.stdout, Bytes()
    try:
        code, _out, err = run(
            capsys, "export", "all", "--format", "xlsx", "-o", "-", "--db", str(db)
        )
        data = sys.stdout.buffer.getvalue()
    finally:
        sys.stdout = stdout
    assert code == 0, err
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    assert book["accounts"]["B2"].value == "北京远航科技"


# --- skipping bad rows, as Data Loader does --------------------------------------------------


def test_skip_bad_imports_the_good_rows_and_writes_the_bad_ones_to_fix_and_import_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = accounts_db(tmp_path / "kam.db", "Hooli", "Pied Piper")
    path = tmp_path / "ledger.csv"
    path.write_text(
        REVENUE_HEADER
        + "Hooli,2026-03-05,100,Parts\n"
        + "Nobody,2026-03-05,100,Parts\n"
        + "Hooli,2026-02-30,5,Parts\n"
        + 'Pied Piper,2026-03-05,1.2k,"a, b"\n'
        + "Pied Piper,2026-03-06,7,X\n"
    )
    bad = tmp_path / "bad.csv"
    code, out, err = run(
        capsys, "import", "revenue", str(path), "--db", str(db), "--skip-bad", str(bad)
    )
    assert code == 0, err
    assert "3 problems; 3 rows left out:" in out.splitlines()
    assert _amounts(db) == [700, 10000]
    assert bad.read_text(encoding="utf-8-sig").splitlines() == [
        "account,date,amount,category,kam line,kam problem",
        "Nobody,2026-03-05,100,Parts,3,column 'account': no account is named 'Nobody' "
        "(--create-accounts makes it)",
        "Hooli,2026-02-30,5,Parts,4,column 'date': '2026-02-30' is not a date (try 2026-03-05)",
        "Pied Piper,2026-03-05,1.2k,\"a, b\",5,\"column 'amount': '1.2k' is shorthand; write "
        'the full amount (e.g. 1,200.00)"',
    ]
    # fixed and imported again, the file of rejects reads back (its own columns ignored)
    bad.write_text(
        bad.read_text(encoding="utf-8-sig")
        .replace("Nobody,2026-03-05", "Hooli,2026-03-09")
        .replace("02-30", "02-28")
        .replace("1.2k", "1200")
    )
    code, out, err = run(capsys, "import", "revenue", str(bad), "--db", str(db))
    assert code == 0, err
    assert "columns not imported: kam line, kam problem" in out
    assert _amounts(db) == [500, 700, 10000, 10000, 120000]


def test_skip_bad_still_stops_on_a_column_wrong_throughout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = accounts_db(tmp_path / "kam.db", "Acme")
    path = _revenue_file(tmp_path, "05/03/2026", "04/03/2026")
    bad = tmp_path / "bad.csv"
    code, _out, err = run(
        capsys, "import", "revenue", str(path), "--db", str(db), "--skip-bad", str(bad)
    )
    assert code == 2 and "could be read two ways" in err
    assert _booked(db) == [] and not bad.exists()
    code, _out, err = run(
        capsys, "import", "all", str(tmp_path), "--db", str(db), "--skip-bad", str(bad)
    )
    assert code == 2 and "--skip-bad takes one kind at a time" in err


def test_a_renamed_deal_and_contact_imported_again_are_updated_by_their_ids(
    database: Database, tmp_path: Path
) -> None:
    from kam.files import imports
    from kam.models import Contact

    _salesforce_account(database)
    path = tmp_path / "opportunities.csv"
    path.write_text(DATA_LOADER_OPPORTUNITIES)
    assert _import(database, path).ok
    path.write_text(DATA_LOADER_OPPORTUNITIES.replace("Acme renewal", "Acme renewal 2027"))
    plan = _import(database, path, update=True)
    assert plan.ok, plan.describe()
    assert (len(plan.kinds[0].creates), len(plan.kinds[0].updates)) == (0, 1)
    contacts = tmp_path / "contacts.csv"
    header = "Id,AccountId,FirstName,LastName,Email\n"
    contacts.write_text(header + "0035g00000Cc1,0015g00000ACME1,Ana,Lima,ana@acme.example\n")
    with database.write() as session:
        options = imports.Options(as_of=TODAY)
        assert imports.import_file(session, "contacts", contacts, options, apply=True).ok
    contacts.write_text(header + "0035g00000Cc1,0015g00000ACME1,Ana,Lima-Reis,ana@acme.example\n")
    with database.write() as session:
        options = imports.Options(as_of=TODAY, update=True)
        again = imports.import_file(session, "contacts", contacts, options, apply=True)
    assert again.ok and len(again.kinds[0].updates) == 1
    with database.read() as session:
        titles = sorted(session.exec(sa.select(Opportunity.title)).scalars())
        people = session.exec(sa.select(Contact.name, Contact.external_ref)).all()
    assert titles == ["Acme expansion", "Acme pilot", "Acme renewal 2027"]
    assert [tuple(p) for p in people] == [("Ana Lima-Reis", "0035g00000Cc1")]


# --- activities: the calls, visits and e-mails a CRM or a spreadsheet kept ------------------


def test_activities_import_with_their_people_on_both_sides_and_their_deal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kam.models import Activity, ActivityContact, ActivityMember, TeamMember
    from kam.services.people import contacts
    from kam.services.pipeline import deals
    from tests.support import build

    def fill(session) -> None:
        acme = create_account(session, "北京远航科技")
        session.flush()
        for name in ("王力", "Lima, Ana"):
            contacts.create_contact(session, acme.id, {"name": name}, "t")
        deals.create_deal(
            session, acme.id, {"title": "扩产项目", "amount_minor": "1000"}, "t", TODAY
        )

    db = build(tmp_path / "kam.db", fill)
    path = tmp_path / "拜访记录.csv"
    path.write_text(
        "客户名称,日期,方式,主题,联系人,我方人员,商机\n"
        '北京远航科技,2026-11-02,拜访,工厂参观,"王力; Lima, Ana",李伟,扩产项目\n'
        '北京远航科技,2026-11-09,电话,"报价\n跟进",王力,,\n'
    )
    code, out, err = run(capsys, "import", "activities", str(path), "--db", str(db))
    assert code == 0, err
    assert "created 2" in out and "new team members: 李伟" in out
    database = open_database(f"sqlite:///{db}")
    with database.read() as session:
        found = {a.summary: a for a in session.exec(sa.select(Activity)).scalars()}
        visit, call = found["工厂参观"], found["报价\n跟进"]
        assert (visit.kind.value, visit.occurred_on, call.kind.value) == (
            "visit",
            date(2026, 11, 2),
            "call",
        )
        assert visit.opportunity_id is not None and call.opportunity_id is None
        who = session.exec(
            sa.select(contacts.Contact.name)
            .join(ActivityContact, ActivityContact.contact_id == contacts.Contact.id)
            .where(ActivityContact.activity_id == visit.id)
            .order_by(contacts.Contact.name)
        ).scalars()
        assert list(who) == ["Lima, Ana", "王力"]
        ours = session.exec(
            sa.select(TeamMember.name)
            .join(ActivityMember, ActivityMember.member_id == TeamMember.id)
            .where(ActivityMember.activity_id == visit.id)
        ).scalars()
        assert list(ours) == ["李伟"]
    database.dispose()
    # the same file again is refused as kam's already, and --update finds nothing to change
    code, _out, err = run(capsys, "import", "activities", str(path), "--db", str(db))
    assert code == 2 and "is in kam already; use --update" in err
    code, out, err = run(capsys, "import", "activities", str(path), "--db", str(db), "--update")
    assert code == 0 and "unchanged 2" in out


def test_an_activity_naming_someone_the_account_does_not_have_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = accounts_db(tmp_path / "kam.db", "Acme")
    path = tmp_path / "activities.csv"
    path.write_text(
        "account,date,type,subject,contacts,deal\n"
        "Acme,2026-11-02,meeting,Visit,Nobody Here,\n"
        "Acme,2099-01-01,call,Later,,\n"
        "Acme,2026-11-03,phone,Call,,No such deal\n"
        "Acme,2026-11-03,fax,Call,,\n"
    )
    code, _out, err = run(capsys, "import", "activities", str(path), "--db", str(db))
    assert code == 2
    lines = [line.strip() for line in err.splitlines()]
    assert "activities.csv:2: column 'contacts': no contact 'Nobody Here' at this account" in lines
    assert "activities.csv:3: column 'date': cannot be later than today" in lines
    assert "activities.csv:4: column 'deal': no deal 'No such deal' at this account" in lines
    assert any(
        line.startswith("activities.csv:5: column 'type': 'fax' is not one of") for line in lines
    )


# --- the account team, complaints and satisfaction scores -----------------------------------


def test_the_account_team_complaints_and_scores_import_field_by_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kam.models import AccountTeamMember, Complaint, SatisfactionScore, TeamMember

    db = accounts_db(tmp_path / "kam.db", "Acme", "北京远航科技")
    team = tmp_path / "team.csv"
    team.write_text(
        "account,team member,role\nAcme,Li Wei,account_lead\nAcme,Bo Berg,executive_sponsor\n"
    )
    complaints = tmp_path / "投诉.csv"
    complaints.write_text(
        "客户名称,投诉日期,关闭日期,严重程度,投诉内容\n"
        "北京远航科技,2026-10-01,2026-10-20,high,交货延迟\n"
        "Acme,2026-11-01,,,Late invoice\n"
    )
    scores = tmp_path / "nps.csv"
    scores.write_text("account,survey date,nps,comment\nAcme,2026-09-30,9,Good service\n")
    for kind, path in (("team", team), ("complaints", complaints), ("satisfaction", scores)):
        code, _out, err = run(capsys, "import", kind, str(path), "--db", str(db))
        assert code == 0, (kind, err)
    database = open_database(f"sqlite:///{db}")
    with database.read() as session:
        roles = session.exec(
            sa.select(TeamMember.name, AccountTeamMember.role)
            .join(TeamMember, TeamMember.id == AccountTeamMember.member_id)
            .order_by(TeamMember.name)
        ).all()
        assert [(n, r.value) for n, r in roles] == [
            ("Bo Berg", "executive_sponsor"),
            ("Li Wei", "account_lead"),
        ]
        raised = {c.summary: c for c in session.exec(sa.select(Complaint)).scalars()}
        late = raised["交货延迟"]
        assert (late.opened_on, late.closed_on, late.severity.value) == (
            date(2026, 10, 1),
            date(2026, 10, 20),
            "high",
        )
        assert raised["Late invoice"].severity.value == "medium"
        score = session.exec(sa.select(SatisfactionScore)).scalars().one()
        assert (score.surveyed_on, score.score, score.comment) == (
            date(2026, 9, 30),
            9,
            "Good service",
        )
    database.dispose()
    code, _out, err = run(capsys, "import", "team", str(team), "--db", str(db))
    assert code == 2 and "is in kam already; use --update" in err


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("satisfaction", "account,date,score\nAcme,2026-09-30,11\n",
         "bad.csv:2: column 'score': '11' is not a score (0 to 10)"),
        ("satisfaction", "account,date,score\nAcme,2099-09-30,8\n",
         "bad.csv:2: column 'date': cannot be later than today"),
        ("complaints", "account,date,closed,summary\nAcme,2026-10-05,2026-10-01,x\n",
         "bad.csv:2: column 'closed': before the complaint was raised"),
        ("team", "account,member,role\nAcme,Li Wei,janitor\n",
         "bad.csv:2: column 'role': 'janitor' is not one of: account lead, executive sponsor, "
         "sales, service, technical, marketing, rnd design"),
    ],
)  # fmt: skip
def test_a_bad_team_complaint_or_score_row_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, text: str, message: str
) -> None:
    db = accounts_db(tmp_path / "kam.db", "Acme")
    path = tmp_path / "bad.csv"
    path.write_text(text)
    code, _out, err = run(capsys, "import", kind, str(path), "--db", str(db))
    assert code == 2
    assert message in [line.strip() for line in err.splitlines()]


def test_contact_plans_import_with_their_cadence_in_words_or_as_a_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kam.models import PlanItem
    from kam.services.people import contacts
    from tests.support import build

    def fill(session) -> None:
        acme = create_account(session, "Acme")
        session.flush()
        contacts.create_contact(session, acme.id, {"name": "Ana Lima"}, "t")

    db = build(tmp_path / "kam.db", fill)
    path = tmp_path / "plans.csv"
    path.write_text(
        "account,type,frequency,due date,contact,assigned to,notes\n"
        "Acme,visit,every 2 weeks,2026-12-07,ana lima,Li Wei,Plant walk\n"
        "Acme,call,FREQ=MONTHLY;BYDAY=1MO,2026-12-07,,,Check-in\n"
        "Acme,email,,2026-12-10,,,One-off offer\n"
    )
    code, out, err = run(capsys, "import", "plans", str(path), "--db", str(db))
    assert code == 0, err
    assert "created 3" in out and "new team members: Li Wei" in out
    database = open_database(f"sqlite:///{db}")
    with database.read() as session:
        items = {p.note: p for p in session.exec(sa.select(PlanItem)).scalars()}
    database.dispose()
    walk = items["Plant walk"]
    assert (walk.kind.value, walk.rule, walk.next_due, walk.starts_on, walk.active) == (
        "visit",
        "FREQ=WEEKLY;INTERVAL=2",
        date(2026, 12, 7),
        date(2026, 12, 7),
        True,
    )
    assert walk.contact_id is not None and walk.owner_id is not None
    assert items["Check-in"].rule == "FREQ=MONTHLY;BYDAY=1MO"
    assert items["One-off offer"].rule == ""
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "account,type,frequency,due date,contact\n"
        "Acme,visit,every blue moon,2026-12-07,\n"
        "Acme,visit,weekly,2026-12-07,Nobody\n"
    )
    code, _out, err = run(capsys, "import", "plans", str(bad), "--db", str(db))
    assert code == 2
    lines = [line.strip() for line in err.splitlines()]
    assert any(line.startswith("bad.csv:2: column 'frequency': ") for line in lines)
    assert "bad.csv:3: column 'contact': no contact 'Nobody' at this account" in lines


def test_the_preview_s_columns_line_up_with_chinese_headers() -> None:
    from kam.files.imports.plan import KindPlan

    kind = KindPlan("revenue", "台账.csv")
    kind.header = ("客户名称", "日期", "amount")
    kind.columns = {"客户名称": "account", "日期": "booked_on", "amount": "amount"}
    kind.samples = {"客户名称": ["北京远航科技"], "日期": ["2026-03-05"], "amount": ["1"]}
    assert kind.column_lines() == [
        "  客户名称 → account          北京远航科技",
        "  日期     → booked_on        2026-03-05",
        "  amount   → amount           1",
    ]
