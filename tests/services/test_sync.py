"""A laptop's copy of the team database: joined in one snapshot, kept up to date by syncs,
never overwriting what the laptop changed and has not sent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kam.db import open_database, upgrade_schema
from kam.errors import DatabaseOpenError, KamError
from kam.models import Account, Contact
from kam.services.accounts import account_edit
from kam.services.people import contacts
from kam.services.pipeline.deals import account_by_name
from kam.services.sync import replica
from kam.services.wallet.revenue import add_revenue
from tests.support import TODAY, USER, accounts_db, sqlite
from tests.support import synced_facts as facts


@pytest.fixture
def team(postgres_url: str) -> str:
    """The team database: two accounts, one with a contact and revenue."""
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
    laptop = tmp_path / "laptop.db"
    replica.join(team, laptop)
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
            setattr(account, field, value)
    database.dispose()


def test_what_the_laptop_changed_is_merged_field_by_field(team: str, tmp_path: Path) -> None:
    laptop = tmp_path / "laptop.db"
    replica.join(team, laptop)
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
        assert (bolt.industry, bolt.region) == ("Mining", "North")
    local.dispose()
    assert facts(local_url) == facts(team)


def test_a_field_changed_on_both_sides_keeps_the_server_s_and_the_laptop_s_beside_it(
    team: str, tmp_path: Path
) -> None:
    laptop = tmp_path / "laptop.db"
    replica.join(team, laptop)
    _edit(f"sqlite:///{laptop}", "Bolt AB", industry="Mining")
    _edit(team, "Bolt AB", industry="Steel")
    local = sqlite(laptop)
    assert replica.sync(local).conflicts == 1
    with local.read() as session:
        assert session.get(Account, account_by_name(session, "Bolt AB")).industry == "Steel"
        [conflict] = replica.open_conflicts(session)
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

    laptop = tmp_path / "laptop.db"
    replica.join(team, laptop)
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


ACTORS = ("server", "one", "two")
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
        st.tuples(st.just("sync"), st.sampled_from(ACTORS[1:])),
    ),
    max_size=12,
)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS)
def test_any_offline_edits_and_syncs_end_with_every_copy_the_same(
    team: str, tmp_path_factory: pytest.TempPathFactory, steps: list[tuple]
) -> None:
    """Two laptops and the server add, edit and remove accounts in any order, syncing now and
    then; after a last round of syncs every copy holds the same facts."""
    folder = tmp_path_factory.mktemp("laptops")
    urls = {"server": team}
    for name in ACTORS[1:]:
        replica.join(team, folder / f"{name}.db")
        urls[name] = f"sqlite:///{folder / name}.db"
    added = 0
    for step in steps:
        database = open_database(urls[step[1]])
        try:
            if step[0] == "sync":
                replica.sync(database)
                continue
            with database.write() as session:
                names = sorted(session.exec(sa.select(Account.name)).scalars())
                if step[0] == "add":
                    added += 1
                    account_edit.create_account(session, f"{step[1]} {added} {folder.name}")
                elif names:
                    account = session.get(
                        Account, account_by_name(session, names[step[2] % len(names)])
                    )
                    if step[0] == "edit":
                        account.industry = step[3]
                    else:
                        session.delete(account)
        finally:
            database.dispose()
    for name in (*ACTORS[1:], *ACTORS[1:]):
        database = open_database(urls[name])
        replica.sync(database)
        database.dispose()
    assert facts(urls["one"]) == facts(team) == facts(urls["two"])


def test_a_copy_of_a_laptop_s_copy_is_a_database_of_its_own(team: str, tmp_path: Path) -> None:
    from kam.services.maintenance import copy_database

    laptop = tmp_path / "laptop.db"
    replica.join(team, laptop)
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
    laptop = tmp_path / "laptop.db"
    replica.join(team, laptop)
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

    laptop = tmp_path / "laptop.db"
    replica.join(team, laptop)
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
    laptop = tmp_path / "laptop.db"
    replica.join(team, laptop)
    _edit(f"sqlite:///{laptop}", "Bolt AB", industry="Mining")
    server = open_database(team)
    with server.write() as session:
        bolt = account_by_name(session, "Bolt AB")
        session.connection().execute(Account.__table__.delete().where(Account.id == bolt))
    server.dispose()
    local = sqlite(laptop)
    assert replica.sync(local).conflicts == 1
    with local.read() as session:
        [conflict] = replica.open_conflicts(session)
        assert conflict.field == "removed" and session.get(Account, bolt) is None
    assert facts(f"sqlite:///{laptop}") == facts(team)  # the server's side, until decided
    with local.write() as session:
        replica.take_mine(session, conflict.id)
    assert replica.sync(local).conflicts == 0
    local.dispose()
    server = open_database(team)
    with server.read() as session:
        assert session.get(Account, bolt).industry == "Mining"
    server.dispose()
    assert facts(f"sqlite:///{laptop}") == facts(team)
