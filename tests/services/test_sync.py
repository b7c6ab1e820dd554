"""A laptop's copy of the team database: joined in one snapshot, kept up to date by syncs,
never overwriting what the laptop changed and has not sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kam.db import open_database, upgrade_schema
from kam.errors import DatabaseOpenError, KamError
from kam.models import Account, Contact, SyncConflict
from kam.services.accounts import account_edit, regions
from kam.services.people import contacts
from kam.services.pipeline.deals import account_by_name
from kam.services.sync import conflicts, replica
from kam.services.wallet.revenue import add_revenue
from tests.support import TODAY, USER, accounts_db, join_laptop, region_name, sqlite
from tests.support import synced_facts as facts


@pytest.fixture
def team(postgres_url: str) -> str:
    """The team database: two accounts, one with a contact and revenue."""
    return _seed_team(postgres_url)


def _seed_team(postgres_url: str) -> str:
    database = open_database(postgres_url)
    with database.write() as session:
        acme = account_edit.create_account(session, "Acme 北京")
        account_edit.create_account(session, "Bolt AB")
        contacts.create_contact(session, acme.id, {"name": "王丽", "title": "CFO"}, USER)
        add_revenue(session, acme.id, TODAY, 500_00)
    database.dispose()
    return postgres_url


def test_join_copies_the_team_database_and_keeps_no_password(team: str, tmp_path: Path) -> None:
    with_password = team.replace("postgres@", "postgres:s3cret-word@")
    laptop = tmp_path / "laptop.db"
    counts = replica.join(with_password, laptop)
    assert counts["account"] == 2 and counts["contact"] == 1
    assert facts(f"sqlite:///{laptop}") == facts(team)
    database = sqlite(laptop)
    with database.read() as session:
        state = replica.state(session)
    database.dispose()
    assert state is not None and state.waiting == 0
    assert "s3cret" not in state.server and state.server.endswith(team.rsplit("/", 1)[1])
    assert b"s3cret" not in laptop.read_bytes()


def test_a_sync_receives_what_others_added_changed_and_removed(team: str, tmp_path: Path) -> None:
    laptop = join_laptop(team, tmp_path)
    server = open_database(team)
    with server.write() as session:
        session.get(Account, account_by_name(session, "Bolt AB")).industry = "Steel"
        new = account_edit.create_account(session, "Cobalt 上海")
        contacts.create_contact(session, new.id, {"name": "Li Wei"}, USER)
        wang = session.exec(sa.select(Contact).where(Contact.name == "王丽")).scalar_one()
        contacts.remove_contact(session, wang.id, USER)
    server.dispose()
    synced = replica.sync(sqlite(laptop))
    assert synced.received.rows >= 4 and synced.sent == 0 and synced.conflicts == 0
    assert facts(f"sqlite:///{laptop}") == facts(team)
    assert replica.sync(sqlite(laptop)).received.rows == 0  # nothing new: nothing written


def _edit(url: str, name: str, **fields: Any) -> None:
    database = open_database(url)
    with database.write() as session:
        account = session.get(Account, account_by_name(session, name))
        for field, value in fields.items():
            if field == "region":
                field, value = "region_id", regions.ensure(session, value)
            setattr(account, field, value)
    database.dispose()


def test_what_the_laptop_changed_is_merged_field_by_field(team: str, tmp_path: Path) -> None:
    laptop = join_laptop(team, tmp_path)
    local_url = f"sqlite:///{laptop}"
    _edit(local_url, "Bolt AB", industry="Mining")  # here
    _edit(team, "Bolt AB", region="North")  # there, another field
    local = sqlite(laptop)
    with local.write() as session:  # added here, with a contact, and one removed here
        new = account_edit.create_account(session, "Delta 深圳")
        contacts.create_contact(session, new.id, {"name": "陈静"}, USER)
        wang = session.exec(sa.select(Contact).where(Contact.name == "王丽")).scalar_one()
        contacts.remove_contact(session, wang.id, USER)
    with local.read() as session:
        assert replica.state(session).waiting >= 4
    synced = replica.sync(local)
    assert synced.conflicts == 0 and synced.sent >= 4
    with local.read() as session:
        assert replica.state(session).waiting == 0
        bolt = session.get(Account, account_by_name(session, "Bolt AB"))
        assert (bolt.industry, region_name(session, bolt)) == ("Mining", "North")
    local.dispose()
    assert facts(local_url) == facts(team)


def test_a_field_changed_on_both_sides_keeps_the_server_s_and_the_laptop_s_beside_it(
    team: str, tmp_path: Path
) -> None:
    laptop = join_laptop(team, tmp_path)
    _edit(f"sqlite:///{laptop}", "Bolt AB", industry="Mining")
    _edit(team, "Bolt AB", industry="Steel")
    local = sqlite(laptop)
    assert replica.sync(local).conflicts == 1
    with local.read() as session:
        assert session.get(Account, account_by_name(session, "Bolt AB")).industry == "Steel"
        [conflict] = conflicts.open_conflicts(session)
    local.dispose()
    assert (conflict.field, conflict.server_value, conflict.local_value) == (
        "industry",
        "Steel",
        "Mining",
    )
    assert "Bolt AB" in conflict.label
    assert facts(f"sqlite:///{laptop}") == facts(team)


def test_a_sync_stopped_after_the_server_took_it_is_finished_by_the_next_once(
    team: str, tmp_path: Path
) -> None:
    from kam.services.sync import outbox, server

    laptop = join_laptop(team, tmp_path)
    local = sqlite(laptop)
    with local.write() as session:
        account_edit.create_account(session, "Echo GmbH")
    with local.read() as session:
        changes = outbox.pending(session.connection())
    engine = server.connect(team)
    with engine.begin() as conn:  # the server committed; the laptop never heard back
        assert outbox.send(conn, changes).conflicts == []
    engine.dispose()
    synced = replica.sync(local)
    assert synced.conflicts == 0
    local.dispose()
    assert facts(f"sqlite:///{laptop}") == facts(team)
    found = facts(team)["account"]
    assert sum(1 for row in found if "Echo GmbH" in row) == 1


def test_a_plain_file_is_not_a_copy(tmp_path: Path) -> None:
    with pytest.raises(KamError, match="not a copy of a team database"):
        replica.sync(sqlite(accounts_db(tmp_path / "kam.db", "Acme")))


def test_a_team_database_of_another_schema_is_refused_before_anything_is_written(
    postgres_url: str, tmp_path: Path
) -> None:
    from kam.db import make_engine

    engine = make_engine(postgres_url)
    upgrade_schema(engine, "0011")
    engine.dispose()
    laptop = tmp_path / "laptop.db"
    with pytest.raises(DatabaseOpenError, match=r"older schema .*upgrade it first"):
        replica.join(postgres_url, laptop)
    assert not laptop.exists()


ACTORS = ("server", "one", "two", "three")
LAPTOPS = ACTORS[1:]
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.sampled_from(ACTORS)),
        st.tuples(
            st.just("edit"),
            st.sampled_from(ACTORS),
            st.integers(0, 5),
            st.sampled_from(["Steel", "Mining", "Food"]),
        ),
        st.tuples(st.just("remove"), st.sampled_from(ACTORS), st.integers(0, 5)),
        st.tuples(st.just("contact"), st.sampled_from(ACTORS), st.integers(0, 5)),
        st.tuples(
            st.just("title"),
            st.sampled_from(ACTORS),
            st.integers(0, 5),
            st.sampled_from(["CFO", "采购总监", "Buyer"]),
        ),
        st.tuples(st.just("sync"), st.sampled_from(LAPTOPS)),
    ),
    max_size=16,
)


def _pick(session, model: type, n: int) -> Any:
    rows = sorted(session.exec(sa.select(model)).scalars(), key=lambda r: (r.name, str(r.id)))
    return rows[n % len(rows)] if rows else None


def _step(session, step: tuple, label: str) -> tuple[str, Any, str, Any] | None:
    """One edit on one copy: what it set (table, row id, field, value), or None."""
    kind, actor = step[0], step[1]
    if kind == "add":
        account_edit.create_account(session, f"{actor} {label}")
        return None
    if kind in ("edit", "remove", "contact"):
        account = _pick(session, Account, step[2])
        if account is None:
            return None
        if kind == "edit":
            if account.industry == step[3]:
                return None  # nothing changes, nothing to send
            account.industry = step[3]
            return ("account", account.id, "industry", step[3])
        if kind == "contact":
            contacts.create_contact(session, account.id, {"name": f"{actor} {label}"}, USER)
            return None
        session.delete(account)
        return ("account", account.id, "removed", None)
    contact = _pick(session, Contact, step[2])
    if contact is None or contact.title == step[3]:
        return None
    contact.title = step[3]
    return ("contact", contact.id, "title", step[3])


def _kept_beside(url: str) -> set[tuple[str, str, str, Any]]:
    """The conflicts a laptop keeps: (table, row key, field, the laptop's value)."""
    database = open_database(url)
    with database.read() as session:
        rows = session.connection().execute(sa.select(SyncConflict.__table__)).all()
    database.dispose()
    return {(r.table_name, r.row_key, r.field, json.loads(r.local_value or "null")) for r in rows}


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS)
def test_any_offline_edits_and_syncs_end_with_every_copy_the_same_and_no_edit_lost(
    new_postgres, tmp_path_factory: pytest.TempPathFactory, steps: list[tuple]
) -> None:
    """Three laptops and the server add, edit and remove accounts and contacts in any order,
    syncing now and then. After a last round of syncs every copy holds the same facts, and
    the last edit of every field is there or kept beside as a conflict on its laptop.
    (Each example starts from a new team database, so a failure can be replayed.)"""
    with new_postgres() as url:
        _offline_edits_then_syncs(_seed_team(url), tmp_path_factory, steps)


def _offline_edits_then_syncs(
    team: str, tmp_path_factory: pytest.TempPathFactory, steps: list[tuple]
) -> None:
    folder = tmp_path_factory.mktemp("laptops")
    urls = {"server": team}
    for name in LAPTOPS:
        replica.join(team, folder / f"{name}.db")
        urls[name] = f"sqlite:///{folder / name}.db"
    last: dict[tuple[str, Any, str], tuple[str, Any]] = {}  # the last edit of each field
    removed: set[Any] = set()
    for n, step in enumerate(steps):
        database = open_database(urls[step[1]])
        try:
            if step[0] == "sync":
                replica.sync(database)
                continue
            if step[0] in ("edit", "title"):  # a value never set before: a field set back
                step = (*step[:3], f"{step[3]} {n}")  # to where a laptop started is no change
            with database.write() as session:
                made = _step(session, step, f"{n} {folder.name}")
            if made is not None and made[2] == "removed":
                removed.add(made[1])
            elif made is not None:
                last[made[:3]] = (step[1], made[3])
        finally:
            database.dispose()
    for name in (*LAPTOPS, *LAPTOPS):
        database = open_database(urls[name])
        replica.sync(database)
        database.dispose()
    final = facts(team)
    assert all(facts(urls[name]) == final for name in LAPTOPS)
    kept = {name: _kept_beside(urls[name]) for name in LAPTOPS}
    database = open_database(team)
    with database.read() as session:
        for (table, row_id, field), (actor, value) in last.items():
            model = Account if table == "account" else Contact
            row = session.get(model, row_id)
            if row is None:  # removed: by someone who said so, or with its account
                assert row_id in removed or table == "contact"
                continue
            if getattr(row, field) == value:
                continue
            assert actor != "server", (table, field, value)  # the server's own edit stands
            assert (table, str(row_id), field, value) in kept[actor] or (
                table,
                str(row_id),
                "removed",
            ) in {k[:3] for k in kept[actor]}, (actor, table, field, value)
    database.dispose()


def test_a_copy_of_a_laptop_s_copy_is_a_database_of_its_own(team: str, tmp_path: Path) -> None:
    from kam.services.maintenance import copy_database

    laptop = join_laptop(team, tmp_path)
    _edit(f"sqlite:///{laptop}", "Bolt AB", industry="Mining")  # waits to be sent
    other = tmp_path / "other.db"
    copy_database(sqlite(laptop), f"sqlite:///{other}")
    copied = sqlite(other)
    with copied.read() as session:
        assert replica.state(session) is None
        bolt = session.get(Account, account_by_name(session, "Bolt AB"))
        assert bolt.industry == "Mining"
    copied.dispose()


def test_a_team_database_upgraded_by_a_newer_kam_asks_for_this_laptop_s_kam_to_be_upgraded(
    team: str, tmp_path: Path
) -> None:
    laptop = join_laptop(team, tmp_path)
    local = sqlite(laptop)
    _edit(f"sqlite:///{laptop}", "Bolt AB", industry="Mining")
    server = open_database(team)
    with server.write() as session:
        session.connection().execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    server.dispose()
    with pytest.raises(DatabaseOpenError, match=r"newer kam .*upgrade kam on this laptop"):
        replica.sync(local)
    with local.read() as session:
        assert replica.state(session).waiting == 1  # kept, to be sent after the upgrade
    local.dispose()


def test_two_syncs_of_one_laptop_at_once_send_and_receive_everything_once(
    team: str, tmp_path: Path
) -> None:
    import subprocess
    import sys

    from tests.support import KAM_PROCESS

    laptop = join_laptop(team, tmp_path)
    local = sqlite(laptop)
    with local.write() as session:
        for i in range(60):
            account_edit.create_account(session, f"Here {i:02d}")
    local.dispose()
    server = open_database(team)
    with server.write() as session:
        for i in range(60):
            account_edit.create_account(session, f"There {i:02d}")
    server.dispose()
    command = [sys.executable, "-c", KAM_PROCESS, "--db", str(laptop), "sync"]
    both = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in "ab"]
    results = [p.communicate(timeout=120) for p in both]
    assert [p.returncode for p in both] == [0, 0], results
    assert facts(f"sqlite:///{laptop}") == facts(team)
    assert len(facts(team)["account"]) == 2 + 60 + 60


def test_a_row_removed_there_and_edited_here_comes_back_when_the_laptop_s_side_is_taken(
    team: str, tmp_path: Path
) -> None:
    laptop = join_laptop(team, tmp_path)
    _edit(f"sqlite:///{laptop}", "Bolt AB", industry="Mining")
    server = open_database(team)
    with server.write() as session:
        bolt = account_by_name(session, "Bolt AB")
        session.connection().execute(Account.__table__.delete().where(Account.id == bolt))
    server.dispose()
    local = sqlite(laptop)
    assert replica.sync(local).conflicts == 1
    with local.read() as session:
        [conflict] = conflicts.open_conflicts(session)
        assert conflict.field == "removed" and session.get(Account, bolt) is None
    assert facts(f"sqlite:///{laptop}") == facts(team)  # the server's side, until decided
    with local.write() as session:
        conflicts.take_mine(session, conflict.id)
    assert replica.sync(local).conflicts == 0
    local.dispose()
    server = open_database(team)
    with server.read() as session:
        assert session.get(Account, bolt).industry == "Mining"
    server.dispose()
    assert facts(f"sqlite:///{laptop}") == facts(team)


def test_names_swapped_there_and_a_name_taken_there_sync_without_a_clash_here(
    team: str, tmp_path: Path
) -> None:
    laptop = join_laptop(team, tmp_path)
    local = sqlite(laptop)
    with local.write() as session:
        account_edit.create_account(session, "Cobalt 上海").industry = "Mining"
        account_edit.create_account(session, "Delta 深圳")  # sent along, in the same batch
    server = open_database(team)
    with server.write() as session:
        acme = session.get(Account, account_by_name(session, "Acme 北京"))
        bolt = session.get(Account, account_by_name(session, "Bolt AB"))
        for account, name in ((acme, "Swap"), (bolt, "Acme 北京"), (acme, "Bolt AB")):
            account.name, account.name_key = name, name.lower()
            session.flush()
        account_edit.create_account(session, "Cobalt 上海").industry = "Steel"
    server.dispose()
    synced = replica.sync(local)
    assert synced.conflicts == 1
    with local.read() as session:
        [refused] = conflicts.open_conflicts(session)
        assert refused.field == "refused" and "Cobalt" in refused.label
        row = conflicts.for_form(session, refused.id)
        assert row.kind == "refused" and row.mine["industry"] == "Mining"
    local.dispose()
    assert facts(f"sqlite:///{laptop}") == facts(team)
    server = open_database(team)
    with server.read() as session:
        names = set(session.exec(sa.select(Account.name)).scalars())
    server.dispose()
    assert names == {"Acme 北京", "Bolt AB", "Cobalt 上海", "Delta 深圳"}


def test_joining_an_empty_team_database_says_how_to_create_it(
    postgres_url: str, tmp_path: Path
) -> None:
    laptop = tmp_path / "laptop.db"
    with pytest.raises(DatabaseOpenError, match=r"holds no kam database yet: .*kam --db URL check"):
        replica.join(postgres_url, laptop)
    assert not laptop.exists()
