"""The forms of an account's Wallet and Health tabs: wallet estimates, complaints and
satisfaction scores. `done` gets what was saved, or None when cancelled."""

from __future__ import annotations

import uuid

from kam import schema
from kam.dialogs.form import FieldSpec, FormScreen, choices_of, form_fields
from kam.dialogs.workspace import Done, open_form
from kam.models.enums import ComplaintSeverity
from kam.screens.base import DataMixin
from kam.services.health import feedback
from kam.services.unit import Intent
from kam.services.wallet import share_of_wallet

ESTIMATE_FIELDS = form_fields(schema.WALLET)


def new_estimate(
    screen: DataMixin, account_id: uuid.UUID, preset: dict[str, str], done: Done
) -> None:
    screen.kam.push_screen(
        FormScreen(
            "New wallet estimate",
            ESTIMATE_FIELDS,
            preset,
            Intent(share_of_wallet.create_estimate, account_id),
        ),
        done,
    )


def edit_estimate(screen: DataMixin, estimate_id: uuid.UUID, done: Done) -> None:
    def build(base) -> FormScreen:
        return FormScreen(
            f"Edit wallet estimate: {base.values['category']} {base.values['period']}",
            ESTIMATE_FIELDS,
            base.values,
            Intent(share_of_wallet.update_estimate, estimate_id),
            base=base,
        )

    open_form(screen, Intent(share_of_wallet.open_estimate_form, estimate_id), build, done)


def new_complaint(screen: DataMixin, account_id: uuid.UUID, done: Done) -> None:
    as_of = screen.kam.as_of
    screen.kam.push_screen(
        FormScreen(
            "New complaint",
            [
                FieldSpec("summary", "What about", "long"),
                FieldSpec(
                    "severity", "Severity", "choice", choices_of(ComplaintSeverity), required=True
                ),
                FieldSpec("opened_on", "Opened", "date", placeholder="blank: today"),
            ],
            {"severity": ComplaintSeverity.medium},
            Intent(feedback.open_complaint, account_id, as_of=as_of),
        ),
        done,
    )


def close_complaint(screen: DataMixin, complaint_id: uuid.UUID, done: Done) -> None:
    as_of = screen.kam.as_of
    screen.kam.push_screen(
        FormScreen(
            "Resolve the complaint",
            [
                FieldSpec("closed_on", "Resolved on", "date", placeholder="blank: today"),
                FieldSpec("resolution", "How", "long"),
            ],
            {},
            Intent(feedback.close_complaint, complaint_id, as_of=as_of),
        ),
        done,
    )


def new_score(screen: DataMixin, account_id: uuid.UUID, done: Done) -> None:
    as_of = screen.kam.as_of
    screen.kam.push_screen(
        FormScreen(
            "Satisfaction score",
            [
                FieldSpec("score", "Score", placeholder="0 (very unhappy) to 10 (delighted)"),
                FieldSpec("surveyed_on", "Surveyed on", "date", placeholder="blank: today"),
                FieldSpec("comment", "Comment", "long"),
            ],
            {},
            Intent(feedback.record_score, account_id, as_of=as_of),
        ),
        done,
    )
