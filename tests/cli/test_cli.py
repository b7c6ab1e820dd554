"""The command line, run in-process: output, exit codes, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from kam.app import KamApp
from kam.db import open_database
from tests.support import MONDAY, USER, run


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml"], "invalid choice: 'xml'"),
        (["--as-of", "31/31/2026"], "is not a date"),
        (["--window", "forever"], "window"),
    ],
)
def test_bad_report_arguments_give_one_line_and_exit_2(
    small_db: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, "report", "pareto", "--db", str(small_db), *args)
    assert code == 2
    assert out == ""
    assert message in err and err.count("\n") == 1


def test_a_missing_directory_gives_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "report", "pareto", "--db", str(tmp_path / "missing" / "kam.db"))
    assert code == 2 and "directory does not exist" in err and err.count("\n") == 1
    assert not (tmp_path / "missing").exists()


def test_a_file_that_is_not_a_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    code, _, err = run(capsys, "report", "pareto", "--db", str(path))
    assert code == 2 and "not a kam database" in err and err.count("\n") == 1
    assert path.read_text() == "hello"


def test_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "frobnicate")
    assert code == 2 and "invalid choice" in err


def test_database_from_environment(
    small_db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAM_DATABASE", str(small_db))
    code, out, _ = run(capsys, "report", "pareto", "--as-of", "2026-11-22", "--format", "json")
    assert code == 0 and json.loads(out)["total_revenue_minor"] == 1000_00


def test_demo_without_tui(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "demo.db"
    code, _, err = run(
        capsys,
        "demo",
        "--accounts",
        "25",
        "--seed",
        "5",
        "--db",
        str(path),
        "--no-tui",
        "--as-of",
        "2026-11-22",
    )
    assert code == 0, err
    assert "25 accounts" in err
    db = open_database(f"sqlite:///{path}")
    with db.read() as session:
        assert session.connection().execute(sa.text("SELECT count(*) FROM account")).scalar() == 25
    db.dispose()


def test_demo_refuses_bad_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys, "demo", "--accounts", "0", "--db", str(tmp_path / "d.db"), "--no-tui"
    )
    assert code == 2 and "at least 1" in err
    assert not (tmp_path / "d.db").exists()


def test_demo_default_location_is_not_the_real_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("KAM_DATABASE", str(tmp_path / "real.db"))
    code, _, err = run(capsys, "demo", "--accounts", "10", "--no-tui")
    assert code == 0, err
    assert (tmp_path / "data" / "kam" / "demo.db").exists()
    assert not (tmp_path / "real.db").exists()


class _Broken(KamApp):
    def on_ready(self) -> None:
        raise RuntimeError("something nobody expected\nsecond line")


def test_a_crash_exits_non_zero_with_one_line_and_the_traceback_in_a_log(
    acme_db: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    app = _Broken(open_database(f"sqlite:///{acme_db}"), as_of=MONDAY, user=USER)
    app.run(headless=True, size=(80, 24))
    assert app.return_code == 1 and app.crash is not None
    _error, log = app.crash
    err = capfd.readouterr().err
    assert err.strip().splitlines() == [
        f"kam stopped on an unexpected error (RuntimeError: something nobody expected); "
        f"the details are in {log}"
    ]
    assert "Traceback" not in err
    assert log is not None and log.parent.stat().st_mode & 0o777 == 0o700
    assert log.stat().st_mode & 0o777 == 0o600
    text = log.read_text()
    assert "Traceback" in text and "something nobody expected" in text and "on_ready" in text


def test_the_app_without_a_terminal_says_so_in_one_line(
    acme_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--db", str(acme_db))  # pytest's stdin is no terminal
    assert (code, out) == (2, "")
    assert (
        err
        == "kam needs a terminal; reports are `kam report ...`, data goes out with `kam export`\n"
    )


def test_demo_help_names_its_own_file_and_describes_every_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from kam.cli import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["demo", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "demo.db in the user data folder, never $KAM_DATABASE" in out
    assert "kam.db" not in out
    for described in (
        "--accounts N how many accounts",
        "--seed S the random seed",
        "--as-of DATE the day the portfolio is seen from",
    ):
        assert described in out
    with pytest.raises(SystemExit):
        build_parser().parse_args(["report", "agenda", "--help"])
    assert "--days N what falls due within N days" in " ".join(capsys.readouterr().out.split())


def test_join_and_sync_from_the_command_line(
    postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kam.services.accounts.account_edit import create_account as add_account

    server = open_database(postgres_url)
    with server.write() as session:
        add_account(session, "Acme 北京")
    laptop = tmp_path / "laptop.db"
    code, out, _ = run(capsys, "join", "--db", str(laptop), postgres_url)
    assert code == 0 and "is now a copy of the team database" in out
    with server.write() as session:
        add_account(session, "Bolt AB")
    server.dispose()
    code, out, _ = run(capsys, "sync", "--db", str(laptop))
    assert code == 0 and "received 2 rows changed on the team database" in out  # and its history
    code, out, _ = run(capsys, "report", "pareto", "--db", str(laptop), "--format", "csv")
    assert "Bolt AB" in out and "Acme 北京" in out
    code, _, err = run(capsys, "join", "--db", str(laptop), postgres_url)
    assert code == 2 and "holds data already" in err and err.count("\n") == 1
    code, _, err = run(capsys, "sync", "--db", str(tmp_path / "plain.db"))
    assert code == 2 and "not a copy of a team database" in err


def test_a_conflict_is_listed_and_settled_from_the_command_line(
    postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kam.models import Account
    from kam.services.accounts.account_edit import create_account as add_account
    from kam.services.sync import replica

    server = open_database(postgres_url)
    with server.write() as session:
        bolt = add_account(session, "Bolt AB").id
    laptop = tmp_path / "laptop.db"
    replica.join(postgres_url, laptop)
    for url, industry in ((f"sqlite:///{laptop}", "Mining"), (postgres_url, "Steel")):
        database = open_database(url)
        with database.write() as session:
            session.get(Account, bolt).industry = industry
        database.dispose()
    code, out, _ = run(capsys, "sync", "--db", str(laptop))
    assert code == 0 and "industry: there Steel · here Mining" in out
    number = out.split("#", 1)[1].split(" ", 1)[0]
    code, out, _ = run(capsys, "sync", "--db", str(laptop), "--take-mine", number)
    assert code == 0 and "changed on both sides" not in out
    with server.read() as session:
        assert session.get(Account, bolt).industry == "Mining"
    server.dispose()
    code, _, err = run(capsys, "sync", "--db", str(laptop), "--keep-theirs", number)
    assert code == 2 and "settled already" in err
