"""What the command line refuses, and how: one line naming what is wrong and where, exit 2,
nothing half-written."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from kam.db import open_database
from kam.models import Account
from tests.support import accounts_db, run

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
    source = accounts_db(tmp_path / "kam.db", "Acme")
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


def test_text_another_program_wrote_as_not_utf8_is_named_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    db = accounts_db(tmp_path / "kam.db", "Acme", "Zed")
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

    db = accounts_db(tmp_path / "kam.db", "Acme")
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
