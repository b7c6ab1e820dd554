"""Constraints the database itself enforces, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from kam.db import Database
from kam.errors import InputError
from kam.models import Account, Opportunity, RevenueLine, name_key
from kam.services.accounts.account_edit import create_account
from kam.services.wallet.revenue import add_revenue


def insert(database: Database, table: str, **values: object) -> None:
    columns = ", ".join(values)
    params = ", ".join(f":{k}" for k in values)
    with database.write() as session:
        session.connection().execute(
            sa.text(f"INSERT INTO {table} ({columns}) VALUES ({params})"), values
        )


def account_row(**overrides: object) -> dict[str, object]:
    row = {
        "id": uuid.uuid4().hex,
        "created_at": datetime(2026, 1, 1),
        "updated_at": datetime(2026, 1, 1),
        "version": 1,
        "name": "Raw Co",
        "name_key": "raw co",
        "relationship_stage": "value",
        "relationship_horizon": "long_term",
        "relationship_type": "relational",
        "strategic": False,
        "emerging": False,
        "status": "active",
        "notes": "",
    }
    row.update(overrides)
    return row


def test_an_unknown_vocabulary_value_is_rejected_by_the_database(database: Database) -> None:
    with pytest.raises(IntegrityError):
        insert(database, "account", **account_row(status="bankrupt"))
    with database.read() as session:
        assert session.connection().execute(sa.text("SELECT count(*) FROM account")).scalar() == 0


def test_a_blank_name_is_rejected_by_the_database(database: Database) -> None:
    with pytest.raises(IntegrityError):
        insert(database, "account", **account_row(name="   ", name_key=""))


def test_a_credit_note_is_kept_but_a_negative_cost_is_refused_by_service_and_database(
    database: Database,
) -> None:
    with database.write() as session:
        account = create_account(session, "Acme")
    with database.write() as session:  # a credit note: the amount of a sale, with a minus
        assert add_revenue(session, account.id, date(2026, 1, 1), -5).amount_minor == -5
    with database.write() as session, pytest.raises(InputError, match="cost"):
        add_revenue(session, account.id, date(2026, 1, 1), 5, cost_minor=-1)
    # a write transaction: the database refuses the row, and nothing stays
    with pytest.raises(IntegrityError), database.write() as session:
        session.add(
            RevenueLine(
                account_id=account.id,
                booked_on=date(2026, 1, 1),
                category="x",
                amount_minor=1,
                cost_minor=-1,
            )
        )
        session.flush()
    with database.read() as session:
        assert session.exec(sa.select(sa.func.count()).select_from(RevenueLine)).scalar() == 1


def test_probability_outside_0_to_100_is_rejected(database: Database) -> None:
    with database.write() as session:
        account = create_account(session, "Acme")
    # a write transaction: the database refuses the row, and nothing stays
    with pytest.raises(IntegrityError), database.write() as session:
        session.add(
            Opportunity(
                account_id=account.id, title="Deal", probability=120, opened_on=date(2026, 1, 1)
            )
        )
        session.flush()


def test_revenue_for_a_missing_account_breaks_the_foreign_key(database: Database) -> None:
    # a write transaction: the database refuses the row, and nothing stays
    with pytest.raises(IntegrityError), database.write() as session:
        session.add(
            RevenueLine(
                account_id=uuid.uuid4(), booked_on=date(2026, 1, 1), category="x", amount_minor=1
            )
        )
        session.flush()


def test_names_are_unique_among_live_accounts_ignoring_case_and_spaces(database: Database) -> None:
    with database.write() as session:
        create_account(session, "Acme Steel")
    with database.write() as session, pytest.raises(InputError, match="exists already"):
        create_account(session, "  acme   STEEL ")
    # The database refuses it too, whoever writes.
    with pytest.raises(IntegrityError):
        insert(
            database, "account", **account_row(name="ACME steel", name_key=name_key("ACME steel"))
        )


def test_an_archived_account_frees_its_name(database: Database) -> None:
    with database.write() as session:
        old = create_account(session, "Acme Steel")
        old.archived_at = datetime.now(UTC)
    with database.write() as session:
        new = create_account(session, "ACME Steel")
    assert new.id != old.id


def test_chinese_names_compare_as_themselves(database: Database) -> None:
    with database.write() as session:
        create_account(session, "华东精密机械有限公司")
    with database.write() as session, pytest.raises(InputError):
        create_account(session, " 华东精密机械有限公司 ")
    with database.write() as session:
        create_account(session, "华南精密机械有限公司")


def test_a_stale_save_is_a_conflict_not_an_overwrite(database: Database) -> None:
    with database.write() as session:
        account_id = create_account(session, "Acme").id
    # Two plain sessions over the engine, as two people's saves would each have one.
    with (
        Session(database.engine, expire_on_commit=False) as first,
        Session(database.engine, expire_on_commit=False) as second,
    ):
        mine = first.get(Account, account_id)
        first.commit()  # done reading: the edit is saved later, in a new transaction
        theirs = second.get(Account, account_id)
        theirs.notes = "their edit"
        second.commit()
        mine.notes = "my edit"
        with pytest.raises(StaleDataError):
            first.commit()
    with database.read() as session:
        saved = session.get(Account, account_id)
        assert (saved.notes, saved.version) == ("their edit", 2)


def test_moments_come_back_in_utc(database: Database) -> None:
    with database.write() as session:
        account_id = create_account(session, "Acme").id
    with database.read() as session:
        created = session.get(Account, account_id).created_at
    assert created.tzinfo is not None and created.utcoffset().total_seconds() == 0
    assert abs((datetime.now(UTC) - created).total_seconds()) < 3600


def test_ids_are_uuids(database: Database) -> None:
    with database.write() as session:
        account = create_account(session, "Acme")
    assert isinstance(account.id, uuid.UUID) and account.id.version == 4
