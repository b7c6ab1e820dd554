"""The reports, as `kam report` writes them: tables, JSON, CSV, Markdown and HTML, each
agreeing with what the screens show."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import date
from pathlib import Path

import pytest

from kam.db import open_database
from kam.services.accounts import account_edit
from kam.services.wallet.revenue import add_revenue
from tests.support import copy_of, run


def pareto(
    capsys: pytest.CaptureFixture[str], db: Path, *args: str, as_of: str = "2026-11-22"
) -> tuple[int, str, str]:
    """`kam report pareto` on `db` as of a fixed day, with more options."""
    return run(capsys, "report", "pareto", "--db", str(db), "--as-of", as_of, *args)


def test_pareto_table(small_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = pareto(capsys, small_db)
    assert code == 0, err
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("Rank"))
    rows = lines[header + 2 : header + 6]
    assert rows[0].split()[:3] == ["1", "Alpha", "Steel"]
    assert "600" in rows[0] and "60.00%" in rows[0]
    assert "华东精密机械有限公司" in rows[1]
    assert "No Sales Yet" in rows[3]
    # Wide characters keep the columns aligned: every row's revenue ends in the same column.
    from kam.services.values.formatting import cell_len

    ends = {cell_len(r[: r.index("%")]) for r in rows[:3]}
    assert len(ends) == 1
    assert "core" in out and "Diamond" in out


def test_pareto_json_carries_raw_numbers(
    small_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = pareto(capsys, small_db, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["total_revenue_minor"] == 1000_00
    first = data["accounts"][0]
    assert (
        first["name"],
        first["revenue_minor"],
        first["rank"],
        first["class"],
        first["tier"],
    ) == (
        "Alpha Steel",
        600_00,
        1,
        "core",
        "diamond",
    )
    assert first["share"] == pytest.approx(0.6)
    assert data["accounts"][-1]["rank"] is None
    assert len(data["accounts"]) == 4


def test_pareto_csv_is_safe_for_spreadsheets(
    small_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = pareto(capsys, small_db, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["name"] for r in rows][:3] == ["Alpha Steel", "华东精密机械有限公司", "'=HYPERLINK()"]
    assert rows[0]["revenue_minor"] == "60000" and float(rows[0]["share"]) == pytest.approx(0.6)


def test_pareto_window_and_output_file(
    small_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "pareto.json"
    code, out, _ = pareto(
        capsys,
        small_db,
        "--window",
        "3m",
        "--format",
        "json",
        "-o",
        str(target),
        as_of="2027-01-01",
    )
    assert code == 0 and out == ""
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["total_revenue_minor"] == 0  # June 2026 lies outside the 3 months to 2027-01-01


@pytest.fixture
def demo_db(demo_file, tmp_path: Path) -> Path:
    """A private copy of a demo of 200 accounts: the reports bring its derived figures up to
    date."""
    return copy_of(demo_file(200, 3), tmp_path)


def pipeline_json(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> dict:
    code, out, err = run(
        capsys, "report", "pipeline", "--db", str(db), "--as-of", "2026-11-22", "--format",
        "json", *args,
    )  # fmt: skip
    assert code == 0, err
    return json.loads(out)


def test_pipeline_report_agrees_with_the_forecast_every_screen_reads(
    demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kam.services.pipeline import filters, forecast

    database = open_database(f"sqlite:///{demo_db}")
    with database.read() as session:
        board = forecast.forecast(session, filters.DealFilter(), date(2026, 11, 22), "stage")
    database.dispose()
    assert board.total.open_deals > 20 and board.total.won_minor > 0  # a real test
    for by in ("stage", "owner", "quarter", "account", "key"):
        report = pipeline_json(capsys, demo_db, "--by", by)
        assert report["total"]["weighted_minor"] == board.total.weighted_minor, by
        assert report["total"]["won_minor"] == board.total.won_minor, by
        assert sum(g["open_deals"] for g in report["groups"]) == board.total.open_deals, by
    stages = {g["key"]: g for g in pipeline_json(capsys, demo_db)["groups"]}
    for stage in ("prospecting", "proposal", "negotiation"):
        assert stages[stage]["weighted_minor"] == board.row(stage).weighted_minor

    code, out, _ = run(capsys, "report", "pipeline", "--db", str(demo_db), "--by", "key")
    assert code == 0 and "key accounts" in out and "other accounts" in out
    code, out, _ = run(
        capsys, "report", "pipeline", "--db", str(demo_db), "--by", "owner", "--format", "csv"
    )
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][:3] == ["owner", "open_deals", "amount_minor"] and rows[-1][0] == "total"


def test_pipeline_report_refuses_a_bad_quarter_or_grouping(
    small_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "report", "pipeline", "--db", str(small_db), "--quarter", "2026-Q5")
    assert code == 2 and "not a quarter" in err
    code, _, err = run(capsys, "report", "pipeline", "--db", str(small_db), "--by", "colour")
    assert code == 2 and "invalid choice" in err
    code, out, _ = run(capsys, "report", "pipeline", "--db", str(small_db))
    assert code == 0 and "total" in out  # no deals: a table of zeros, not an error


def _report_json(capsys, db: Path, name: str, *args: str) -> dict:
    code, out, err = run(
        capsys, "report", name, "--db", str(db), "--as-of", "2026-11-22", "--format", "json",
        *args,
    )  # fmt: skip
    assert code == 0, err
    return json.loads(out)


def test_health_report_agrees_with_the_account_screen(
    demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kam.services.health import score

    report = _report_json(capsys, demo_db, "health")
    assert report["at_risk"] == len(report["accounts"]) > 0
    assert sum(report["bands"].values()) == report["watched"]
    database = open_database(f"sqlite:///{demo_db}")
    with database.read() as session:
        for row in report["accounts"][:5]:
            live = score.account_health(session, uuid.UUID(row["account_id"]), date(2026, 11, 22))
            assert live is not None and live.score == row["score"], row["account"]
            assert row["reasons"] == live.reasons
    database.dispose()
    everyone = _report_json(capsys, demo_db, "health", "--all")
    assert len(everyone["accounts"]) == report["watched"]
    code, out, _ = run(capsys, "report", "health", "--db", str(demo_db), "--as-of", "2026-11-22")
    assert code == 0 and out.startswith("Account health, as of 2026-11-22:")


def test_wallet_report_agrees_with_the_wallet_tab(
    demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kam.services.wallet import share_of_wallet

    report = _report_json(capsys, demo_db, "wallet")
    assert report["accounts"]
    first = report["accounts"][0]
    database = open_database(f"sqlite:///{demo_db}")
    with database.read() as session:
        (row,) = share_of_wallet.portfolio_wallet(
            session, date(2026, 11, 22), accounts=[uuid.UUID(first["account_id"])]
        )
    database.dispose()
    assert row is not None
    assert (first["spend_minor"], first["run_rate_minor"]) == (row.spend_minor, row.run_rate_minor)
    assert first["whitespace"] == "; ".join(row.whitespace)
    one = _report_json(capsys, demo_db, "wallet", "--account", first["account"])
    totals = [c for c in one["cells"] if c["category"] == "All estimated"]
    assert totals[-1]["spend_minor"] == first["spend_minor"]
    code, _, err = run(capsys, "report", "wallet", "--db", str(demo_db), "--account", "Nobody")
    assert code == 2 and "no account is named 'Nobody'" in err


def test_segments_report_counts_every_account(
    demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = _report_json(capsys, demo_db, "segments")
    letters = [s["letter"] for s in summary["segments"]]
    assert letters == ["A", "B", "C", "D", "E"]
    rows = _report_json(capsys, demo_db, "segments", "--accounts")["accounts"]
    assert sum(s["accounts"] for s in summary["segments"]) == len(rows)
    for segment in summary["segments"]:
        assert segment["accounts"] == sum(1 for r in rows if r["segment"] == segment["letter"])
    code, out, _ = run(
        capsys, "report", "segments", "--db", str(demo_db), "--accounts", "--format", "csv"
    )
    assert code == 0
    header = next(csv.reader(io.StringIO(out)))
    assert header[:4] == ["account", "class", "segment", "segment_name"]


def test_review_report_as_markdown_and_html(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "report", "review", "--db", str(demo_db), "--as-of", "2026-11-22",
        "--week", "2026-W47",
    )  # fmt: skip
    assert code == 0, err
    assert out.startswith("# Account review 2026-W47")
    assert "## Headline indicators" in out and "## At risk" in out
    target = tmp_path / "review.html"
    code, _, err = run(
        capsys, "report", "review", "--db", str(demo_db), "--as-of", "2026-11-22",
        "--format", "html", "-o", str(target),
    )  # fmt: skip
    assert code == 0, err
    assert target.read_text().startswith("<!doctype html>")
    code, _, err = run(capsys, "report", "review", "--db", str(demo_db), "--week", "2026-W60")
    assert code == 2 and "2026-W60" in err


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


def test_reports_by_region_and_of_one_region(demo_db: Path, capsys) -> None:
    db = str(demo_db)
    code, out, _ = run(capsys, "report", "pareto", "--db", db, "--by", "region", "--format", "json")
    figures = json.loads(out)
    revenue = {r["region"]: r["revenue_minor"] for r in figures["regions"]}
    assert code == 0 and set(revenue) == {"Europe", "中国", "Export"}
    assert list(revenue.values()) == sorted(revenue.values(), reverse=True)  # biggest first
    assert sum(r["revenue_share"] for r in figures["regions"]) == pytest.approx(1.0)
    code, out, _ = run(
        capsys, "report", "pareto", "--db", db, "--region", "north", "--format", "csv"
    )
    north = list(csv.reader(io.StringIO(out)))[1:]
    code, out, _ = run(capsys, "report", "pareto", "--db", db, "--format", "csv")
    everyone = {row[1]: row for row in list(csv.reader(io.StringIO(out)))[1:]}
    assert 0 < len(north) < len(everyone)
    assert all(everyone[row[1]] == row for row in north)  # each keeps its portfolio rank
    code, out, _ = run(capsys, "report", "pareto", "--db", db, "--region", "North")
    assert code == 0 and out.startswith(f"Region North: {len(north)} of the portfolio's")
    code, out, _ = run(capsys, "report", "pipeline", "--db", db, "--by", "region")
    assert code == 0 and "中国" in out and "Export" in out
    code, out, _ = run(capsys, "report", "health", "--db", db, "--by", "region", "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("region,watched,red,amber,green")
    code, out, _ = run(capsys, "report", "review", "--db", db, "--region", "中国")
    assert code == 0 and out.startswith("# Account review") and "— 中国" in out.splitlines()[0]
    assert "| 中国 |" in out and "| whole portfolio |" in out
    code, out, _ = run(capsys, "report", "review", "--db", db, "--by", "region", "--format", "html")
    assert code == 0 and "id='regions'" in out and "Export" in out
    code, _, err = run(capsys, "report", "health", "--db", db, "--region", "Atlantis")
    assert code != 0 and "no region or territory is called 'Atlantis'" in err and "Europe" in err


def test_regions_are_added_owned_renamed_and_listed(small_db: Path, capsys) -> None:
    db = str(small_db)
    assert run(capsys, "region", "add", "Europe", "--db", db)[0] == 0
    code, out, _ = run(capsys, "region", "add", "Nordics", "--in", "Europe", "--db", db)
    assert code == 0 and "territory Nordics in Europe" in out
    code, _, err = run(capsys, "region", "add", "Lapland", "--in", "Nordics", "--db", db)
    assert code != 0 and "a territory has no territories" in err
    code, _, err = run(capsys, "region", "set", "Europe", "--owner", "Nobody", "--db", db)
    assert code != 0 and "no team member is called 'Nobody'" in err
    assert run(capsys, "region", "set", "Nordics", "--rename", "Norden", "--db", db)[0] == 0
    code, out, _ = run(capsys, "region", "list", "--db", db, "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert [r[:2] for r in rows[1:]] == [["Europe", ""], ["Norden", "Europe"]]
