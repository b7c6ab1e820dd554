"""A file's Region column: the regions kam does not know yet are made with the import (and
named in its report); a region moved by an update is in the account's history by name."""

from __future__ import annotations

from pathlib import Path

from kam.db import Database
from kam.files import imports
from kam.services.accounts import regions
from kam.services.history import changes
from kam.services.pipeline.deals import account_by_name
from tests.support import TODAY, USER, region_of


def _import(database: Database, path: Path, *, apply: bool = True, **options) -> imports.ImportPlan:
    opts = imports.Options(as_of=TODAY, user=USER, **options)
    with database.write() as session:
        return imports.import_file(session, "accounts", path, opts, apply=apply)


def test_regions_come_in_with_the_accounts_and_moves_are_kept(
    database: Database, tmp_path: Path
) -> None:
    with database.write() as session:
        regions.add_region(session, "East China")
    first = tmp_path / "accounts.csv"
    first.write_text(
        "Account Name,Region\n上海机电,east china\n北京远航,华北\nNordic Steel,Nordics\n"
        "Baltic Steel, nordics \n",
        encoding="utf-8",
    )
    dry = _import(database, first, apply=False)
    assert dry.ok and "new regions: Nordics, 华北" in dry.describe()
    with database.read() as session:
        assert regions.region_names(session) == ["East China"]  # a dry run makes none
    plan = _import(database, first)
    assert plan.ok, plan.describe()
    with database.read() as session:
        assert regions.region_names(session) == ["East China", "Nordics", "华北"]
        shanghai = account_by_name(session, "上海机电")
        baltic = account_by_name(session, "Baltic Steel")
    assert (region_of(database, shanghai), region_of(database, baltic)) == ("East China", "Nordics")

    moved = tmp_path / "moved.csv"
    moved.write_text("Account Name,Region\n上海机电,华北\n", encoding="utf-8")
    assert _import(database, moved, update=True).ok
    assert region_of(database, shanghai) == "华北"
    with database.read() as session:
        history = changes.account_history(session, shanghai)
    assert [(r.old_value, r.new_value) for r in history if r.field == "region"] == [
        ("East China", "华北")
    ]
