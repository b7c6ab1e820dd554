"""The forms of the account workspace: accounts, team members, team roles, contacts, needs.

Each opener reads what the form needs (its base values, the people to choose from) in a
worker, then shows the form; `done` gets what was saved, or None when cancelled.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from kam import schema
from kam.models.enums import (
    AccountStatus,
    Attitude,
    Influence,
    NeedKind,
    NeedVisibility,
    RelationshipHorizon,
    RelationshipStage,
    RelationshipStrength,
    RelationshipType,
    TeamRole,
)
from kam.screens.base import DataMixin
from kam.screens.form import FieldSpec, FormScreen, choices_of, form_fields
from kam.services.accounts import account_edit
from kam.services.history.changes import as_words
from kam.services.people import contacts, team
from kam.services.people.contacts import ContactRow
from kam.services.people.team import MemberChoice

Done = Callable[[Any], None]


def open_form(
    screen: DataMixin,
    query: Callable[[Any], Any],
    build: Callable[[Any], FormScreen | None],
    done: Done,
) -> None:
    """Read what a form needs in a worker, then show the form `build` makes of it."""
    screen.open_when_loaded(query, build, done, group="open-form")


def member_choices(members: list[MemberChoice]) -> list[tuple[str, Any]]:
    return [(f"{m.name} · {m.title}" if m.title else m.name, str(m.id)) for m in members]


def account_fields(members: list[MemberChoice]) -> list[FieldSpec]:
    return form_fields(schema.ACCOUNT, choices={"owner_id": member_choices(members)})


def new_account(screen: DataMixin, done: Done) -> None:
    user = screen.kam.user

    def build(members: list[MemberChoice]) -> FormScreen | None:
        return FormScreen(
            "New account",
            account_fields(members),
            {
                "status": AccountStatus.active,
                "relationship_stage": RelationshipStage.transactional,
                "relationship_horizon": RelationshipHorizon.long_term,
                "relationship_type": RelationshipType.relational,
            },
            lambda session, raw, _base: account_edit.save_new_account(session, raw, user),
        )

    open_form(screen, team.members, build, done)


def edit_account(screen: DataMixin, account_id: uuid.UUID, done: Done) -> None:
    user, today = screen.kam.user, screen.kam.today

    def query(session):
        base = account_edit.open_account_form(session, account_id)
        return base, team.members(session, include=base.values["owner_id"])

    def build(loaded) -> FormScreen | None:
        base, members = loaded
        return FormScreen(
            f"Edit {base.values['name']}",
            account_fields(members),
            base.values,
            lambda session, raw, b: account_edit.update_account(
                session, account_id, b, raw, user, today
            ),
            base=base,
        )

    open_form(screen, query, build, done)


# --- the account team ---------------------------------------------------------------------

MEMBER_FIELDS = [
    FieldSpec("name", "Name"),
    FieldSpec("title", "Title"),
    FieldSpec("email", "E-mail"),
]


def new_member(screen: DataMixin, done: Done) -> None:
    screen.kam.push_screen(
        FormScreen(
            "New person on our side",
            MEMBER_FIELDS,
            {},
            lambda session, raw, _base: team.create_member(session, raw),
        ),
        done,
    )


def _membership_fields(members: list[MemberChoice]) -> list[FieldSpec]:
    return [
        FieldSpec("member_id", "Team member", "choice", member_choices(members), "choose someone"),
        FieldSpec("role", "Role", "choice", choices_of(TeamRole), required=True),
    ]


def add_to_team(screen: DataMixin, account_id: uuid.UUID, done: Done) -> None:
    user = screen.kam.user

    def build(members: list[MemberChoice]) -> FormScreen | None:
        if not members:
            screen.kam.notify("Add a person first (m)", title="Nobody on our side yet")
            return None
        return FormScreen(
            "Add to the account team",
            _membership_fields(members),
            {"role": TeamRole.sales},
            lambda session, raw, _base: team.add_to_team(session, account_id, raw, user),
        )

    open_form(screen, team.members, build, done)


def edit_membership(screen: DataMixin, membership_id: uuid.UUID, done: Done) -> None:
    user = screen.kam.user

    def query(session):
        base = team.open_membership_form(session, membership_id)
        return base, team.members(session, include=base.values["member_id"])

    def build(loaded) -> FormScreen | None:
        base, members = loaded
        return FormScreen(
            "Change a team role",
            _membership_fields(members),
            base.values,
            lambda session, raw, b: team.update_membership(session, membership_id, b, raw, user),
            base=base,
        )

    open_form(screen, query, build, done)


# --- contacts -----------------------------------------------------------------------------


def contact_fields(
    members: list[MemberChoice], colleagues: list[ContactRow], exclude: uuid.UUID | None = None
) -> list[FieldSpec]:
    bosses = [
        (f"{c.name} · {c.title}" if c.title else c.name, str(c.id))
        for c in colleagues
        if c.id != exclude and c.current
    ]
    return form_fields(
        schema.CONTACT,
        choices={"reports_to_id": bosses, "owner_id": member_choices(members)},
    )


def new_contact(
    screen: DataMixin, account_id: uuid.UUID, done: Done, *, reports_to: uuid.UUID | None = None
) -> None:
    user, today = screen.kam.user, screen.kam.today

    def query(session):
        return team.members(session), contacts.account_contacts(session, account_id)

    def build(loaded) -> FormScreen | None:
        members, colleagues = loaded
        return FormScreen(
            "New contact",
            contact_fields(members, colleagues),
            {
                "attitude": Attitude.neutral,
                "influence": Influence.medium,
                "strength": RelationshipStrength.none,
                "reports_to_id": reports_to,
            },
            lambda session, raw, _base: contacts.create_contact(
                session, account_id, raw, user, today=today
            ),
        )

    open_form(screen, query, build, done)


def edit_contact(
    screen: DataMixin, account_id: uuid.UUID, contact_id: uuid.UUID, done: Done
) -> None:
    user, today = screen.kam.user, screen.kam.today

    def query(session):
        base = contacts.open_contact_form(session, contact_id)
        return (
            base,
            team.members(session, include=base.values["owner_id"]),
            contacts.account_contacts(session, account_id),
        )

    def build(loaded) -> FormScreen | None:
        base, members, colleagues = loaded
        return FormScreen(
            f"Edit {base.values['name']}",
            contact_fields(members, colleagues, exclude=contact_id),
            base.values,
            lambda session, raw, b: contacts.update_contact(
                session, contact_id, b, raw, user, today=today
            ),
            base=base,
        )

    open_form(screen, query, build, done)


NEED_FIELDS = [
    FieldSpec("kind", "Kind of need", "choice", choices_of(NeedKind), required=True),
    FieldSpec("visibility", "Said or unsaid", "choice", choices_of(NeedVisibility), required=True),
    FieldSpec("text", "What they need", "long"),
]


def add_need(screen: DataMixin, contact: ContactRow, done: Done) -> None:
    user = screen.kam.user
    screen.kam.push_screen(
        FormScreen(
            f"A need of {contact.name}",
            NEED_FIELDS,
            {"kind": NeedKind.information, "visibility": NeedVisibility.explicit},
            lambda session, raw, _base: contacts.add_need(session, contact.id, raw, user),
        ),
        done,
    )


def remove_need(screen: DataMixin, contact: ContactRow, done: Done) -> None:
    """Choose one of the contact's needs to take off the record."""
    if not contact.needs:
        screen.kam.notify(f"{contact.name} has no needs recorded", timeout=3)
        return
    user = screen.kam.user
    options = [(f"{as_words(n.kind)}: {n.text}", str(n.id)) for n in contact.needs]
    screen.kam.push_screen(
        FormScreen(
            f"Remove a need of {contact.name}",
            [FieldSpec("need_id", "Need", "choice", options, required=True)],
            {"need_id": options[0][1]},
            lambda session, raw, _base: (
                contacts.remove_need(session, uuid.UUID(str(raw["need_id"])), user) or contact
            ),
        ),
        done,
    )
