"""The forms of the account workspace: accounts, team members, team roles, contacts, needs.

Each opener reads what the form needs (its base values, the people to choose from) in a
worker, then shows the form; `done` gets what was saved, or None when cancelled.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual.suggester import Suggester

from kam import schema
from kam.dialogs.form import FieldSpec, FormScreen, Preset, choices_of, form_fields
from kam.dialogs.names import account_names, region_names
from kam.models.enums import (
    NeedKind,
    NeedVisibility,
    TeamRole,
)
from kam.screens.base import DataMixin
from kam.services.accounts import account_edit
from kam.services.history.changes import as_words
from kam.services.people import contacts, team
from kam.services.people.contacts import ContactRow
from kam.services.people.team import MemberChoice
from kam.services.unit import Intent

if TYPE_CHECKING:
    from kam.db import Database

Done = Callable[[Any], None]


def open_form(
    screen: DataMixin,
    query: Intent[Any],
    build: Callable[[Any], FormScreen | None],
    done: Done,
) -> None:
    """Read what a form needs in a worker, then show the form `build` makes of it."""
    screen.open_when_loaded(query, build, done, group="open-form")


def member_choices(members: list[MemberChoice]) -> list[tuple[str, Any]]:
    return [(f"{m.name} · {m.title}" if m.title else m.name, str(m.id)) for m in members]


def account_fields(
    members: list[MemberChoice], database: Database | None = None
) -> list[FieldSpec]:
    """The account form; with a database, the group it is part of and its region complete as
    they are typed."""
    fields = form_fields(schema.ACCOUNT, choices={"owner_id": member_choices(members)})
    if database is None:
        return fields
    suggesters: dict[str, Suggester] = {
        "parent": account_names(database),
        "region": region_names(database),
    }
    return [replace(f, suggester=suggesters[f.key]) if f.key in suggesters else f for f in fields]


def new_account(screen: DataMixin, done: Done, *, preset: Preset | None = None) -> None:
    user = screen.kam.user

    def build(members: list[MemberChoice]) -> FormScreen | None:
        return FormScreen(
            "New account",
            account_fields(members, screen.kam.database),
            schema.ACCOUNT.defaults,
            Intent(account_edit.save_new_account, user=user),
            preset=preset,
        )

    open_form(screen, Intent(team.members), build, done)


def edit_account(
    screen: DataMixin, account_id: uuid.UUID, done: Done, *, preset: Preset | None = None
) -> None:
    user, as_of = screen.kam.user, screen.kam.as_of

    def build(loaded) -> FormScreen | None:
        base, members = loaded
        return FormScreen(
            f"Edit {base.values['name']}",
            account_fields(members, screen.kam.database),
            base.values,
            Intent(account_edit.update_account, account_id, user=user, as_of=as_of),
            base=base,
            preset=preset,
        )

    open_form(screen, Intent(account_edit.account_form, account_id), build, done)


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
            Intent(team.create_member),
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
            Intent(team.add_to_team, account_id, user=user),
        )

    open_form(screen, Intent(team.members), build, done)


def edit_membership(screen: DataMixin, membership_id: uuid.UUID, done: Done) -> None:
    user = screen.kam.user

    def build(loaded) -> FormScreen | None:
        base, members = loaded
        return FormScreen(
            "Change a team role",
            _membership_fields(members),
            base.values,
            Intent(team.update_membership, membership_id, user=user),
            base=base,
        )

    open_form(screen, Intent(team.membership_form, membership_id), build, done)


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
    user, as_of = screen.kam.user, screen.kam.as_of

    def build(loaded) -> FormScreen | None:
        _base, members, colleagues = loaded
        return FormScreen(
            "New contact",
            contact_fields(members, colleagues),
            {**schema.CONTACT.defaults, "reports_to_id": reports_to},
            Intent(contacts.create_contact, account_id, user=user, as_of=as_of),
        )

    open_form(screen, Intent(contacts.contact_form, account_id), build, done)


def edit_contact(
    screen: DataMixin,
    account_id: uuid.UUID,
    contact_id: uuid.UUID,
    done: Done,
    *,
    preset: Preset | None = None,
) -> None:
    user, as_of = screen.kam.user, screen.kam.as_of

    def build(loaded) -> FormScreen | None:
        base, members, colleagues = loaded
        return FormScreen(
            f"Edit {base.values['name']}",
            contact_fields(members, colleagues, exclude=contact_id),
            base.values,
            Intent(contacts.update_contact, contact_id, user=user, as_of=as_of),
            base=base,
            preset=preset,
        )

    open_form(screen, Intent(contacts.contact_form, account_id, contact_id), build, done)


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
            Intent(contacts.add_need, contact.id, user=user),
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
            Intent(contacts.remove_chosen_need, user=user),
        ),
        done,
    )
