"""Every command's help ends with examples that the command line accepts as written."""

from __future__ import annotations

import argparse
import shlex

import pytest

from kam.cli import examples
from kam.cli.parser import build_parser


def _commands(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    return list(examples._subparsers(parser))


def test_every_command_has_examples_in_its_help() -> None:
    parser = build_parser()
    for command in _commands(parser):
        help_text = command.format_help()
        assert "examples:\n  kam" in help_text, command.prog


@pytest.mark.parametrize(
    "example", sorted({e for group in examples.EXAMPLES.values() for e in group})
)
def test_each_example_is_a_command_line_kam_accepts(example: str) -> None:
    words = shlex.split(example.split("|")[0].split(">")[0])
    assert words[0] == "kam"
    build_parser().parse_args(words[1:])  # a wrong option or value raises KamError


def test_import_help_lists_the_fields_map_accepts(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["import", "--help"])
    out = capsys.readouterr().out
    assert "fields --map COLUMN=field accepts (or - to skip a column):" in out
    assert "  revenue: kam_id, account, account_id, booked_on, category, amount, cost" in out
    assert "expected_close" in out and "customer_growth" in out
    assert max(len(line) for line in out.splitlines()) <= 100
