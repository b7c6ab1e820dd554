"""The forms of contact plans: a plan item, logging an activity, snoozing, the policies.

Used by the agenda and by an account's Plan tab; `done` gets what was saved, or None when
cancelled.
"""

from __future__ import annotations

import uuid
from typing import Any

from kam.models.enums import ActivityKind, Sentiment
from kam.screens.base import DataMixin
from kam.screens.form import ConfirmScreen, FieldSpec, FormScreen, choices_of
from kam.screens.workspace_forms import Done, member_choices, open_form
from kam.services.contact_plan import plans
from kam.services.contact_plan.plans import POLICY_NAMES, words
from kam.services.people import contacts, team

KINDS = choices_of(ActivityKind)


def _contacts_of(session, account_id: uuid.UUID) -> list[tuple[str, Any]]:
    """The account's current contacts, as choices."""
    found = sorted(
        (c for c in contacts.account_contacts(session, account_id) if c.current),
        key=lambda c: c.name.casefold(),
    )
    return [(f"{c.name} · {c.title}" if c.title else c.name, str(c.id)) for c in found]


def _plan_fields(members, people) -> list[FieldSpec]:
    return [
        FieldSpec("kind", "Kind", "choice", KINDS, required=True),
        FieldSpec(
            "cadence",
            "Cadence",
            placeholder="every 2 weeks, quarterly, first Monday of the month, blank: once",
        ),
        FieldSpec("next_due", "Next due", "date", placeholder="blank: the cadence's next date"),
        FieldSpec("owner_id", "Owner", "choice", member_choices(members), placeholder="nobody yet"),
        FieldSpec("contact_id", "With", "choice", people, placeholder="anyone"),
        FieldSpec("active", "Active", "flag", placeholder="on the agenda"),
        FieldSpec("note", "Note"),
    ]


def new_item(screen: DataMixin, account_id: uuid.UUID, owner_id, done: Done) -> None:
    user, today = screen.kam.user, screen.kam.today

    def query(session):
        return team.members(session), _contacts_of(session, account_id)

    def build(loaded) -> FormScreen:
        members, people = loaded
        return FormScreen(
            "New plan item",
            _plan_fields(members, people),
            {"kind": ActivityKind.visit, "active": True, "owner_id": owner_id},
            lambda session, raw, _b: plans.create_item(session, account_id, raw, user, today),
        )

    open_form(screen, query, build, done)


def edit_item(screen: DataMixin, account_id: uuid.UUID, item_id: uuid.UUID, done: Done) -> None:
    user, today = screen.kam.user, screen.kam.today

    def query(session):
        base = plans.open_item_form(session, item_id)
        members = team.members(session, include=base.values["owner_id"])
        return base, members, _contacts_of(session, account_id)

    def build(loaded) -> FormScreen:
        base, members, people = loaded
        return FormScreen(
            f"Edit plan item: {words(base.values['kind'])}",
            _plan_fields(members, people),
            base.values,
            lambda session, raw, b: plans.update_item(session, item_id, b, raw, user, today),
            base=base,
        )

    open_form(screen, query, build, done)


def log_activity(
    screen: DataMixin,
    account_id: uuid.UUID,
    done: Done,
    *,
    account_name: str = "",
    item: plans.AgendaRow | plans.PlanRow | None = None,
) -> None:
    """Log a contact; from a plan item, its kind and contact come filled in, and the item
    itself when it is due (today or overdue), so that saving moves it to its next date. An
    item not yet due is fulfilled only when chosen in the form: a second contact on the same
    day must not push it a whole cadence further."""
    user, today = screen.kam.user, screen.kam.today

    def query(session):
        items = [
            (f"{words(r.kind)} · {r.cadence} · due {r.next_due}", str(r.id))
            for r in plans.account_plan(session, account_id)
            if r.active
        ]
        return (
            team.members(session),
            _contacts_of(session, account_id),
            items,
            plans.open_deals_of(session, account_id),
            plans.member_id_of(session, user),
        )

    def build(loaded) -> FormScreen:
        members, people, items, deals, me = loaded
        fields = [
            FieldSpec("kind", "Kind", "choice", KINDS, required=True),
            FieldSpec("occurred_on", "When", "date"),
            FieldSpec("plan_item_id", "Fulfils", "choice", items, placeholder="no plan item"),
            FieldSpec("contact_ids", "With", "many", people),
            FieldSpec("member_ids", "Our side", "many", member_choices(members)),
            FieldSpec("summary", "Summary", "long"),
            FieldSpec("outcome", "Outcome"),
            FieldSpec("sentiment", "Sentiment", "choice", choices_of(Sentiment), required=True),
            FieldSpec("follow_up_on", "Follow up on", "date", placeholder="blank: none"),
            FieldSpec(
                "opportunity_id",
                "Deal",
                "choice",
                [(t, str(i)) for t, i in deals],
                placeholder="none",
            ),
        ]
        values: dict[str, Any] = {
            "kind": item.kind if item else ActivityKind.call,
            "occurred_on": today,
            "sentiment": "neutral",
            "member_ids": [me] if me else [],
        }
        if item is not None:
            if item.next_due is not None and item.next_due <= today:
                values["plan_item_id"] = str(item.id)
            if item.contact_id is not None:
                values["contact_ids"] = [item.contact_id]
        title = f"Log a contact with {account_name}" if account_name else "Log a contact"
        return FormScreen(
            title,
            fields,
            values,
            lambda session, raw, _b: plans.log_activity(session, account_id, raw, user, today),
        )

    open_form(screen, query, build, done)


def snooze(screen: DataMixin, item_id: uuid.UUID, label: str, done: Done) -> None:
    user, today = screen.kam.user, screen.kam.today
    screen.kam.push_screen(
        FormScreen(
            f"Snooze {label}",
            [FieldSpec("until", "Until", "date", placeholder="e.g. next monday, +2w, 2026-03-05")],
            {},
            lambda session, raw, _b: plans.snooze(session, item_id, raw, user, today),
        ),
        done,
    )


def apply_policy(
    screen: DataMixin, account_id: uuid.UUID, account_name: str, name: str, done: Done
) -> None:
    """Says what the policy would add and stop, and applies it only when the person agrees:
    one key must not create rows unasked."""
    user, today = screen.kam.user, screen.kam.today

    def build(change: plans.PolicyChange) -> ConfirmScreen | None:
        if not change.adds and not change.stops:
            screen.notify("The plan follows the account's policy already", timeout=3)
            return None
        adds = "; ".join(change.adds) if change.adds else "nothing new"
        stops = (
            f" It stops {change.stops} item{'s' if change.stops > 1 else ''} another policy made."
            if change.stops
            else ""
        )
        return ConfirmScreen(
            f"Apply the {words(name)} policy to {account_name}? It adds: {adds}.{stops} "
            "Items made by hand stay.",
            yes="Apply",
            no="Cancel",
        )

    def answered(sure: bool | None) -> None:
        if sure:
            screen.load(
                lambda session: plans.apply_policy(session, account_id, name, user, today),
                done,
                group="write",
                write=True,
                classified=False,
            )

    screen.open_when_loaded(
        lambda session: plans.policy_change(session, account_id, name), build, answered
    )


def policy_settings(screen: DataMixin, done: Done) -> None:
    def build(found: plans.Policies) -> FormScreen:
        fields = [
            FieldSpec(f"policy_{name}", f"{words(name).capitalize()}", "long")
            for name in POLICY_NAMES
        ]
        values = {f"policy_{name}": found.texts[name] for name in POLICY_NAMES}
        return FormScreen(
            "Service policies: one line per contact, kind: cadence (or kind: in N days)",
            fields,
            values,
            lambda session, raw, _b: plans.save_policies(session, raw, by=screen.kam.user),
        )

    open_form(screen, plans.policies, build, done)
