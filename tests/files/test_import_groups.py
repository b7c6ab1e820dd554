"""Groups in files: a parent named by name or by another tool's id, before or after its
members in the file or already in kam; a loop or an unknown parent refused with its line;
export writes the group by name, and reads back the same."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import sqlalchemy as sa

from kam.db import Database
from kam.models import Account
from kam.services.accounts.account_edit import create_account
from tests.files.test_import_export import csv_export, import_file


def parents(database: Database) -> dict[str, str | None]:
    with database.read() as session:
        rows = session.exec(sa.select(Account)).scalars().all()
        names = {a.id: a.name for a in rows}
        return {a.name: names.get(a.parent_id) for a in rows}


def test_parents_before_and_after_their_members_by_name_and_by_salesforce_id(
    database: Database, tmp_path: Path
) -> None:
    with database.write() as session:
        create_account(session, "State Grid 国家电网")
    path = tmp_path / "accounts.csv"
    path.write_text(
        "Account Name,Account ID,Parent Account ID\n"
        "Jiangsu Power 江苏电力,001A,State Grid 国家电网\n"  # a group already in kam
        "Nanjing Site 南京,001B,001A\n"  # by the Salesforce id of a row above
        "BMW Plant Leipzig,001C,001D\n"  # by the id of a row further down
        "BMW Group,001D,\n",
        encoding="utf-8",
    )
    plan = import_file(database, "accounts", path)
    assert plan.ok, plan.describe()
    assert parents(database) == {
        "State Grid 国家电网": None,
        "Jiangsu Power 江苏电力": "State Grid 国家电网",
        "Nanjing Site 南京": "Jiangsu Power 江苏电力",
        "BMW Plant Leipzig": "BMW Group",
        "BMW Group": None,
    }
    # Exported with the group by name: what import reads.
    rows = csv.DictReader(io.StringIO(csv_export(database, "accounts")))
    assert {r["name"]: r["parent"] for r in rows} == {
        k: v or "" for k, v in parents(database).items()
    }


def test_a_loop_or_an_unknown_group_is_refused_with_its_line_and_nothing_written(
    database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(
        "name,上级客户\nAlpha,Gamma\nBeta,Alpha\nGamma,Beta\nDelta,Nobody Ltd\nEpsilon,Epsilon\n",
        encoding="utf-8",
    )
    plan = import_file(database, "accounts", path)
    assert [str(r) for r in plan.rejects] == [
        "accounts.csv:2: column '上级客户': that would make a loop: "
        "Alpha → Gamma → Beta → Alpha (lines 2, 4, 3)",
        "accounts.csv:5: column '上级客户': no account is called 'Nobody Ltd' in kam or the file",
        "accounts.csv:6: column '上级客户': an account cannot be part of itself",
    ]
    assert parents(database) == {}


def test_moving_an_account_to_another_group_by_import_is_kept_in_its_history(
    database: Database, tmp_path: Path
) -> None:
    from kam.models import ChangeRecord

    with database.write() as session:
        for name in ("Group A", "Group B", "Member"):
            create_account(session, name)
    path = tmp_path / "accounts.csv"
    path.write_text("name,parent\nMember,Group A\n", encoding="utf-8")
    assert import_file(database, "accounts", path, update=True).ok
    path.write_text("name,parent\nMember,Group B\n", encoding="utf-8")
    assert import_file(database, "accounts", path, update=True).ok
    assert parents(database)["Member"] == "Group B"
    with database.read() as session:
        moves = session.exec(
            sa.select(ChangeRecord.old_value, ChangeRecord.new_value)
            .where(ChangeRecord.field == "parent")
            .order_by(ChangeRecord.changed_at)
        ).all()
    assert [tuple(m) for m in moves] == [(None, "Group A"), ("Group A", "Group B")]


def test_the_salesforce_api_name_of_the_parent_is_recognised() -> None:
    from kam import schema

    field = schema.ACCOUNT["parent"]
    assert {"parentid", "parent account id", "集团", "上级客户"} <= set(field.aliases)


def test_a_hubspot_company_export_brings_its_parent_company_by_name_or_record_id(
    database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "hubspot-crm-exports-all-companies.csv"
    path.write_text(
        "Record ID,Company name,Parent Company,Industry,Country/Region\n"
        "9101,Hooli Europe,9100,Technology,Germany\n"  # by the parent's Record ID, further down
        "9102,Hooli 深圳,Hooli,Technology,China\n"  # by name
        "9100,Hooli,,Technology,United States\n",
        encoding="utf-8",
    )
    plan = import_file(database, "accounts", path)
    assert plan.ok, plan.describe()
    assert parents(database) == {"Hooli Europe": "Hooli", "Hooli 深圳": "Hooli", "Hooli": None}
