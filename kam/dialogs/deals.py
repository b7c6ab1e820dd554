"""The forms of the pipeline: a deal, winning or losing one, and the stage settings.

Used by the pipeline screen and by an account's Pipeline tab; `done` gets what was saved, or
None when cancelled.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from textual.suggester import Suggester

from kam import schema
from kam.dialogs.form import FieldSpec, FormScreen, Preset, form_fields
from kam.dialogs.names import account_names
from kam.dialogs.workspace import Done, member_choices, open_form
from kam.models.enums import OPEN_STAGES, OpportunityStage
from kam.screens.base import DataMixin
from kam.services import settings as settings_service
from kam.services.people.team import MemberChoice
from kam.services.pipeline import deals, stages
from kam.services.pipeline.stages import PipelineSettings, stage_words
from kam.services.unit import Intent

if TYPE_CHECKING:
    pass


def deal_fields(
    members: list[MemberChoice],
    settings: PipelineSettings,
    *,
    ask_account: Suggester | None = None,
) -> list[FieldSpec]:
    follows = " ".join(f"{settings.probability[s]}" for s in OPEN_STAGES)
    follows = f"follows the stage ({follows})"
    fields = form_fields(
        schema.DEAL,
        choices={"owner_id": member_choices(members)},
        # The stage probabilities, for the person choosing whether to set one by hand.
        placeholders={"probability_override": f"blank: {follows}"},
        words={"stage": stage_words},
    )
    if ask_account is not None:
        fields.insert(
            0,
            FieldSpec(
                "account",
                "Account",
                placeholder="the account's name (→ completes)",
                suggester=ask_account,
            ),
        )
    return fields


def new_deal(
    screen: DataMixin,
    account_id: uuid.UUID | None,
    done: Done,
    *,
    account_name: str = "",
    owner_id: uuid.UUID | None = None,
) -> None:
    """A deal for `account_id`, or, when None, for the account named in the form. The owner
    is `owner_id`, else the person using kam if they are on the team list."""
    user, as_of = screen.kam.user, screen.kam.as_of

    def build(loaded: deals.DealForm) -> FormScreen:
        members, settings, owner = loaded.members, loaded.settings, loaded.owner
        names = account_names(screen.kam.database) if account_id is None else None
        fields = deal_fields(members, settings, ask_account=names)
        values = {
            "account": account_name,
            "stage": OpportunityStage.prospecting,
            "impact_months": 12,
            "owner_id": owner,
        }
        title = f"New deal with {account_name}" if account_id and account_name else "New deal"
        return FormScreen(
            title,
            fields,
            values,
            Intent(deals.create_deal, account_id, user=user, as_of=as_of),
        )

    open_form(screen, Intent(deals.deal_form, user=user, owner_id=owner_id), build, done)


def edit_deal(
    screen: DataMixin, deal_id: uuid.UUID, done: Done, *, preset: Preset | None = None
) -> None:
    user, as_of = screen.kam.user, screen.kam.as_of

    def build(loaded: deals.DealForm) -> FormScreen:
        base, members, settings = loaded.base, loaded.members, loaded.settings
        assert base is not None
        return FormScreen(
            f"Edit deal: {base.values['title']}",
            deal_fields(members, settings),
            base.values,
            Intent(deals.update_deal, deal_id, user=user, as_of=as_of),
            base=base,
            preset=preset,
        )

    open_form(screen, Intent(deals.deal_form, deal_id), build, done)


def close_deal(
    screen: DataMixin, deal_id: uuid.UUID, title: str, account: str, won: bool, done: Done
) -> None:
    user, as_of = screen.kam.user, screen.kam.as_of
    outcome = "won" if won else "lost"
    screen.kam.push_screen(
        FormScreen(
            f"Mark {title} ({account}) {outcome}",
            [
                FieldSpec("close_reason", f"Why {outcome}", placeholder="required"),
                FieldSpec("closed_on", "Closed on", "date"),
            ],
            {"closed_on": as_of},
            Intent(deals.close_deal, deal_id, won=won, user=user, as_of=as_of),
        ),
        done,
    )


def stage_settings(screen: DataMixin, done: Done) -> None:
    def build(settings: PipelineSettings) -> FormScreen:
        fields = [
            FieldSpec(f"p_{s.value}", f"{stage_words(s).capitalize()} %") for s in OPEN_STAGES
        ] + [
            FieldSpec(f"stale_{s.value}", f"Stale in {stage_words(s)} after (days)")
            for s in OPEN_STAGES
        ]
        return FormScreen(
            "Pipeline stages: probability and when a deal goes stale",
            fields,
            settings.values(),
            Intent(stages.save_pipeline_settings, by=screen.kam.user),
        )

    open_form(screen, Intent(settings_service.load, stages.PipelineSettings), build, done)
