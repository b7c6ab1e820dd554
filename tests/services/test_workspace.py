"""The account workspace's rules: forms, history, conflicts, the team and the contacts."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from kam.db import Database
from kam.errors import InputError, InputErrors, KamError
from kam.models import Account, AccountClassification, TierChange
from kam.models.enums import (
    Attitude,
    ChangeSource,
    RelationshipStrength,
    TeamRole,
    ValueTier,
)
from kam.services.accounts import account_edit
from kam.services.accounts.listing import AccountListQuery, count_accounts
from kam.services.classify import pareto
from kam.services.history import changes as history
from kam.services.history.edits import EditConflict
from kam.services.people import contacts, team
from kam.services.wallet.revenue import add_revenue
from tests.support import MONDAY, TODAY, USER, region_of

ME = "Ann"


def _new(database: Database, name: str = "Acme", **fields) -> uuid.UUID:
    with database.write() as session:
        return account_edit.save_new_account(session, {"name": name, **fields}, ME).id


def _form(database: Database, account_id: uuid.UUID) -> account_edit.Base:
    with database.read() as session:
        return account_edit.open_account_form(session, account_id)


def _edit(database: Database, account_id, base, user=ME, **changes) -> Account:
    raw = {**{k: getattr(v, "value", v) for k, v in base.values.items()}, **changes}
    with database.write() as session:
        return account_edit.update_account(session, account_id, base, raw, user)


def _history(database: Database, account_id) -> list[tuple[str, str | None, str | None, str]]:
    with database.read() as session:
        rows = history.account_history(session, account_id)
    return [(r.field, r.old_value, r.new_value, r.changed_by) for r in reversed(rows)]


# --- accounts -------------------------------------------------------------------------------


def test_every_bad_field_of_an_account_form_is_named_at_once(database: Database) -> None:
    _new(database, "Acme")
    with pytest.raises(InputErrors) as caught, database.write() as session:
        account_edit.save_new_account(
            session,
            {
                "name": "  ACME ",
                "customer_since": "31 Febtember",
                "tier_override": "gold",
                "status": "asleep",
            },
            ME,
        )
    errors = caught.value.errors
    assert errors["name"] == "an account called 'Acme' exists already"
    assert "is not a date" in errors["customer_since"]
    assert errors["tier_override_reason"] == "say why the tier is set by hand"
    assert errors["status"].startswith("not one of")
    with database.read() as session:
        assert count_accounts(session, AccountListQuery(folded=False)) == 1


def test_an_edit_is_saved_and_each_changed_field_is_in_the_history(database: Database) -> None:
    account_id = _new(database, "Acme")
    base = _form(database, account_id)
    account = _edit(database, account_id, base, user="Bo", region="北京", strategic=True)
    assert region_of(database, account_id) == "北京" and account.strategic and account.version == 2
    assert _history(database, account_id) == [
        ("created", None, "Acme", ME),
        ("region", None, "北京", "Bo"),
        ("strategic", "no", "yes", "Bo"),
    ]


def test_edits_to_different_fields_from_two_windows_both_survive(database: Database) -> None:
    account_id = _new(database, "Acme")
    mine, theirs = _form(database, account_id), _form(database, account_id)
    _edit(database, account_id, theirs, user="Bo", industry="Steel")
    account = _edit(database, account_id, mine, region="Nordics")
    assert (account.industry, region_of(database, account_id)) == ("Steel", "Nordics")


def test_the_same_field_edited_in_two_windows_is_a_conflict_that_keeps_both(
    database: Database,
) -> None:
    account_id = _new(database, "Acme")
    mine, theirs = _form(database, account_id), _form(database, account_id)
    _edit(database, account_id, theirs, user="Bo", industry="Steel", region="Asia")
    with pytest.raises(EditConflict) as caught:
        _edit(database, account_id, mine, industry="Textiles", notes="met the CFO")
    conflict = caught.value
    assert [(c.field, c.theirs, c.mine) for c in conflict.clashes] == [
        ("industry", "Steel", "Textiles")
    ]
    with database.read() as session:
        saved = session.get(Account, account_id)
        assert (saved.industry, saved.notes) == ("Steel", "")  # nothing half-written
    # Saving again on top of what is there now keeps their region and my notes and industry.
    account = _edit(
        database, account_id, conflict.current, industry="Textiles", notes="met the CFO"
    )
    assert (account.industry, account.notes) == ("Textiles", "met the CFO")
    assert region_of(database, account_id) == "Asia"


def test_archived_accounts_leave_the_list_keep_history_and_can_come_back(
    database: Database,
) -> None:
    account_id = _new(database, "Acme")
    with database.write() as session:
        account_edit.archive_account(session, account_id, ME)
    with database.read() as session:
        assert count_accounts(session, AccountListQuery(folded=False)) == 0
        assert count_accounts(session, AccountListQuery(archived=True)) == 1
    replacement = _new(database, "acme")  # the name is free while archived
    with pytest.raises(InputError, match="rename one of them"), database.write() as session:
        account_edit.restore_account(session, account_id, ME)
    with database.write() as session:
        account_edit.archive_account(session, replacement, ME)
        account_edit.restore_account(session, account_id, ME)
    with database.read() as session:
        assert count_accounts(session, AccountListQuery(folded=False)) == 1
    assert [f for f, *_ in _history(database, account_id)] == ["created", "archived", "archived"]


def test_a_tier_set_by_hand_applies_at_once_and_is_a_tier_move(database: Database) -> None:
    account_id = _new(database, "Acme")
    with database.write() as session:
        add_revenue(session, account_id, date(2026, 6, 1), 100_00)
        pareto.refresh(session, TODAY)
    base = _form(database, account_id)
    _edit(database, account_id, base, tier_override="strategic", tier_override_reason="new plant")
    with database.read() as session:
        stored = session.get(AccountClassification, account_id)
        moves = session.exec(  # type: ignore[call-overload]
            TierChange.__table__.select().where(TierChange.__table__.c.account_id == account_id)
        ).all()
    assert stored.tier == ValueTier.strategic
    assert [(m.from_value, m.to_value, m.source, m.reason) for m in moves] == [
        ("diamond", "strategic", ChangeSource.manual.value, "new plant")
    ]


# --- the team -------------------------------------------------------------------------------


def _member(database: Database, name: str) -> uuid.UUID:
    with database.write() as session:
        return team.create_member(session, {"name": name, "title": "Account manager"}).id


def _join(database: Database, account_id, member_id, role: TeamRole) -> uuid.UUID:
    with database.write() as session:
        return team.add_to_team(
            session, account_id, {"member_id": member_id, "role": role.value}, ME
        ).id


def test_team_roles_are_added_changed_and_removed_with_history(database: Database) -> None:
    account_id = _new(database)
    li, bo = _member(database, "李伟"), _member(database, "Bo")
    lead = _join(database, account_id, li, TeamRole.account_lead)
    sales = _join(database, account_id, bo, TeamRole.sales)
    with pytest.raises(InputError, match="is sales here already"), database.write() as session:
        team.add_to_team(session, account_id, {"member_id": bo, "role": "sales"}, ME)
    with database.read() as session:
        base = team.open_membership_form(session, sales)
    with database.write() as session:
        team.update_membership(session, sales, base, {"member_id": bo, "role": "technical"}, ME)
        team.remove_from_team(session, lead, ME)
    with database.read() as session:
        rows = team.account_team(session, account_id)
    assert [(r.member, r.role) for r in rows] == [("Bo", TeamRole.technical)]
    assert _history(database, account_id)[1:] == [
        ("created", None, "account lead", ME),
        ("created", None, "sales", ME),
        ("role", "sales", "technical", ME),
        ("removed", "account lead", None, ME),
    ]


def test_a_team_member_needs_a_unique_name_and_a_sane_email(database: Database) -> None:
    _member(database, "Bo")
    with pytest.raises(InputErrors) as caught, database.write() as session:
        team.create_member(session, {"name": "bo", "email": "bo-at-example"})
    assert caught.value.errors == {
        "email": "an e-mail address looks like name@example.com",
        "name": "bo is a team member already",
    }


def test_single_threaded_means_no_lead_or_everything_through_one_person(
    database: Database,
) -> None:
    account_id = _new(database)
    li, bo = _member(database, "Li"), _member(database, "Bo")
    with database.read() as session:
        assert team.threading(session, account_id).reason == "no account lead on our side"
    _join(database, account_id, li, TeamRole.account_lead)
    for name in ("Chen", "Dana"):
        with database.write() as session:
            contacts.create_contact(session, account_id, {"name": name, "owner_id": li}, ME)
    with database.read() as session:
        verdict = team.threading(session, account_id)
        assert verdict.single_threaded
        assert verdict.reason == "every contact and activity goes through Li"
    with database.write() as session:
        contacts.create_contact(session, account_id, {"name": "Eve", "owner_id": bo}, ME)
    with database.read() as session:
        assert not team.threading(session, account_id).single_threaded
        assert team.single_threaded_ids(session, [account_id]) == set()


# --- contacts -------------------------------------------------------------------------------


def _contact(database: Database, account_id, **raw) -> uuid.UUID:
    with database.write() as session:
        return contacts.create_contact(session, account_id, raw, ME, as_of=TODAY).id


def test_contacts_form_an_org_tree_and_refuse_reporting_loops(database: Database) -> None:
    account_id = _new(database)
    ceo = _contact(database, account_id, name="王芳", buying_role="decision_maker")
    cfo = _contact(database, account_id, name="Bob", reports_to_id=ceo)
    clerk = _contact(database, account_id, name="Cid", reports_to_id=cfo)
    with database.read() as session:
        base = contacts.open_contact_form(session, ceo)
    raw = {**{k: getattr(v, "value", v) for k, v in base.values.items()}, "reports_to_id": clerk}
    with pytest.raises(InputErrors) as caught, database.write() as session:
        contacts.update_contact(session, ceo, base, raw, ME)
    assert caught.value.errors == {"reports_to_id": "that would make a reporting loop"}
    with database.read() as session:
        tree = contacts.org_tree(contacts.account_contacts(session, account_id))
    assert [n.contact.name for n in tree] == ["王芳"]
    assert [n.contact.name for n in tree[0].reports] == ["Bob"]
    assert [n.contact.name for n in tree[0].reports[0].reports] == ["Cid"]


def test_a_contact_cannot_report_to_someone_at_another_account(database: Database) -> None:
    other = _contact(database, _new(database, "Other"), name="Zed")
    account_id = _new(database)
    with pytest.raises(InputErrors) as caught, database.write() as session:
        contacts.create_contact(session, account_id, {"name": "Amy", "reports_to_id": other}, ME)
    assert caught.value.errors == {"reports_to_id": "not a known contact of this account"}


def test_contact_fields_are_checked(database: Database) -> None:
    account_id = _new(database)
    with pytest.raises(InputErrors) as caught, database.write() as session:
        contacts.create_contact(
            session,
            account_id,
            {"name": " ", "email": "nobody", "left_on": "2027-01-01", "attitude": "grumpy"},
            ME,
            as_of=TODAY,
        )
    assert caught.value.errors == {
        "name": "a contact needs a name",
        "email": "an e-mail address looks like name@example.com",
        "attitude": "not one of: champion, supporter, neutral, skeptic, opponent",
        "left_on": "cannot be later than 2026-11-22",
    }


def test_org_tree_survives_a_loop_brought_in_by_other_means() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()

    def row(ident, boss, name):
        return contacts.ContactRow(
            ident, 1, name, None, None, None, None, None, Attitude.neutral,
            contacts.Influence.medium, RelationshipStrength.none, boss, None, None,
        )  # fmt: skip

    tree = contacts.org_tree([row(a, b, "A"), row(b, a, "B")])
    names = [n.contact.name for n in tree] + [r.contact.name for n in tree for r in n.reports]
    assert sorted(names) == ["A", "B"]


def test_relationship_warnings_for_a_key_account(database: Database) -> None:
    account_id = _new(database)
    with database.read() as session:
        rows = contacts.account_contacts(session, account_id)
    assert contacts.relationship_warnings(rows, key_account=False) == []
    assert contacts.relationship_warnings(rows, key_account=True) == [
        "no contacts at all: we know nobody at this key account"
    ]
    _contact(database, account_id, name="Amy", buying_role="user", strength="brief")
    with database.read() as session:
        rows = contacts.account_contacts(session, account_id)
    assert contacts.relationship_warnings(rows, key_account=True) == [
        "only one contact (Amy): a single thread",
        "no decision maker among the contacts",
        "no champion: nobody sells for us inside the customer",
        "no strong or trusted relationship with anyone",
    ]
    _contact(database, account_id, name="Bea", buying_role="decision_maker", attitude="champion")
    _contact(database, account_id, name="Cy", strength="trusted", left_on="2026-01-05")
    with database.read() as session:
        rows = contacts.account_contacts(session, account_id)
    # Cy left the company: a trusted tie to someone gone does not count.
    assert contacts.relationship_warnings(rows, key_account=True) == [
        "no strong or trusted relationship with anyone"
    ]


def test_needs_are_kept_per_contact(database: Database) -> None:
    account_id = _new(database)
    amy = _contact(database, account_id, name="Amy")
    with pytest.raises(InputErrors), database.write() as session:
        contacts.add_need(session, amy, {"kind": "emotional", "text": ""}, ME)
    with database.write() as session:
        contacts.add_need(
            session, amy, {"kind": "information", "visibility": "latent", "text": "weekly KPIs"}, ME
        )
    with database.read() as session:
        (row,) = contacts.account_contacts(session, account_id)
    assert [(n.kind.value, n.visibility.value, n.text) for n in row.needs] == [
        ("information", "latent", "weekly KPIs")
    ]


def test_a_removed_account_cannot_be_edited(database: Database) -> None:
    with pytest.raises(KamError, match="no longer exists"), database.read() as session:
        account_edit.open_account_form(session, uuid.uuid4())


def test_the_standing_panel_gives_share_and_cumulative_share_alike(database: Database) -> None:
    """At rank 1 the two are the same figure: shown at the same precision (65.43% and 65.43%,
    not 65.43% above 65.4%)."""
    from kam.screens.account_views import standing
    from kam.services import workspace

    top, other = _new(database, "Top Co"), _new(database, "Other Co")
    with database.write() as session:
        add_revenue(session, top, date(2026, 6, 1), 6543)
        add_revenue(session, other, date(2026, 6, 1), 3457)
        pareto.refresh(session, TODAY)
    with database.read() as session:
        rows = dict(standing(workspace.load_workspace(session, top, TODAY)).rows)
    assert rows["Rank"].plain == "1"
    assert rows["Share of revenue"].plain == rows["Cumulative share"].plain


def test_the_owner_is_the_account_lead_and_one_person_alone_is_single_threaded(database) -> None:
    with database.write() as session:
        ann = team.create_member(session, {"name": USER}).id
        bo = team.create_member(session, {"name": "Bo Berg"}).id
        owned = account_edit.create_account(session, "Owned", owner_id=ann).id
        nobody = account_edit.create_account(session, "Nobody's").id
        pair = account_edit.create_account(session, "Pair", owner_id=ann).id
        team.add_to_team(session, pair, {"member_id": str(bo), "role": "technical"}, USER)
    with database.read() as session:
        assert team.threading(session, nobody).reason == "no account lead on our side"
        alone = team.threading(session, owned)
        assert alone.single_threaded
        assert alone.reason == "Ann Lee alone carries this account on our side"
        both = team.threading(session, pair)
        assert not both.single_threaded and both.carriers == ("Ann Lee", "Bo Berg")


def test_a_customer_since_in_the_future_and_an_address_without_a_domain_are_refused(
    database,
) -> None:
    with database.write() as session:
        with pytest.raises(InputErrors) as caught:
            account_edit.read_account_form(
                session, {"name": "Future", "customer_since": "2030-01-01"}, as_of=MONDAY
            )
        assert caught.value.errors == {"customer_since": "cannot be later than 2026-11-23"}
        acme = account_edit.create_account(session, "Acme").id
        for address in ("dana@example", "dana@.com", "dana@example.", "@example.com"):
            with pytest.raises(InputErrors) as caught:
                contacts.create_contact(session, acme, {"name": "Dana", "email": address}, USER)
            assert caught.value.errors == {"email": "an e-mail address looks like name@example.com"}
        contacts.create_contact(session, acme, {"name": "Dana", "email": "dana@example.com"}, USER)
