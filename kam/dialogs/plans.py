"""The forms of contact plans: a plan item, logging an activity, snoozing, the policies.

Used by the agenda and by an account's Plan tab; `done` gets what was saved, or None when
cancelled.
"""

from __future__ import annotations

import uuid
from typing import Any

from kam.dialogs.form import ConfirmScreen, FieldSpec, FormScreen, Preset, choices_of
from kam.dialogs.workspace import Done, member_choices, open_form
from kam.models.enums import ActivityKind, Sentiment
from kam.screens.base import DataMixin
from kam.services import settings as settings_service
from kam.services.contact_plan import activities, agenda, choices, plan_items, policies
from kam.services.contact_plan.policies import POLICY_NAMES, words
from kam.services.unit import Intent

KINDS = choices_of(ActivityKind)


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
    user, as_of = screen.kam.user, screen.kam.as_of

    def build(loaded: choices.ItemForm) -> FormScreen:
        return FormScreen(
            "New plan item",
            _plan_fields(loaded.members, loaded.people),
            {"kind": ActivityKind.visit, "active": True, "owner_id": owner_id},
            Intent(plan_items.create_item, account_id, user=user, as_of=as_of),
        )

    open_form(screen, Intent(choices.item_form, account_id), build, done)


def edit_item(
    screen: DataMixin,
    account_id: uuid.UUID,
    item_id: uuid.UUID,
    done: Done,
    *,
    preset: Preset | None = None,
) -> None:
    user, as_of = screen.kam.user, screen.kam.as_of

    def build(loaded: choices.ItemForm) -> FormScreen:
        base = loaded.base
        assert base is not None
        return FormScreen(
            f"Edit plan item: {words(base.values['kind'])}",
            _plan_fields(loaded.members, loaded.people),
            base.values,
            Intent(plan_items.update_item, item_id, user=user, as_of=as_of),
            base=base,
            preset=preset,
        )

    open_form(screen, Intent(choices.item_form, account_id, item_id), build, done)


def log_activity(
    screen: DataMixin,
    account_id: uuid.UUID,
    done: Done,
    *,
    account_name: str = "",
    item: agenda.AgendaRow | plan_items.PlanRow | None = None,
) -> None:
    """Log a contact; from a plan item, its kind and contact come filled in, and the item
    itself when it is due (today or overdue), so that saving moves it to its next date. An
    item not yet due is fulfilled only when chosen in the form: a second contact on the same
    day must not push it a whole cadence further."""
    user, as_of = screen.kam.user, screen.kam.as_of

    def build(loaded: choices.LogForm) -> FormScreen:
        members, people, items, deals, me = (
            loaded.members,
            loaded.people,
            loaded.items,
            loaded.deals,
            loaded.me,
        )
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
            "occurred_on": as_of,
            "sentiment": "neutral",
            "member_ids": [me] if me else [],
        }
        if item is not None:
            if item.next_due is not None and item.next_due <= as_of:
                values["plan_item_id"] = str(item.id)
            if item.contact_id is not None:
                values["contact_ids"] = [item.contact_id]
        title = f"Log a contact with {account_name}" if account_name else "Log a contact"
        return FormScreen(
            title,
            fields,
            values,
            Intent(activities.log_activity, account_id, user=user, as_of=as_of),
        )

    open_form(screen, Intent(choices.log_form, account_id, user), build, done)


def snooze(screen: DataMixin, item_id: uuid.UUID, label: str, done: Done) -> None:
    user, as_of = screen.kam.user, screen.kam.as_of
    screen.kam.push_screen(
        FormScreen(
            f"Snooze {label}",
            [FieldSpec("until", "Until", "date", placeholder="e.g. next monday, +2w, 2026-03-05")],
            {},
            Intent(plan_items.snooze, item_id, user=user, as_of=as_of),
        ),
        done,
    )


def apply_policy(
    screen: DataMixin, account_id: uuid.UUID, account_name: str, name: str, done: Done
) -> None:
    """Says what the policy would add and stop, and applies it only when the person agrees:
    one key must not create rows unasked."""
    user, as_of = screen.kam.user, screen.kam.as_of

    def build(change: policies.PolicyChange) -> ConfirmScreen | None:
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
                Intent(policies.apply_policy, account_id, name, user, as_of),
                done,
                group="write",
                classified=False,
            )

    screen.open_when_loaded(Intent(policies.policy_change, account_id, name), build, answered)


def policy_settings(screen: DataMixin, done: Done) -> None:
    def build(found: policies.Policies) -> FormScreen:
        fields = [
            FieldSpec(f"policy_{name}", f"{words(name).capitalize()}", "long")
            for name in POLICY_NAMES
        ]
        values = {f"policy_{name}": found.texts[name] for name in POLICY_NAMES}
        return FormScreen(
            "Service policies: one line per contact, kind: cadence (or kind: in N days)",
            fields,
            values,
            Intent(policies.save_policies, by=screen.kam.user),
        )

    open_form(screen, Intent(settings_service.load, policies.Policies), build, done)
