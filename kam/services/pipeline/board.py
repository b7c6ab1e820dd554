"""What the pipeline screen asks for in one read or write."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

from sqlmodel import Session

from kam.models.enums import (
    OpportunityStage,
    ValueTier,
)
from kam.services import settings as settings_service
from kam.services.classify.pareto import ClassificationSettings
from kam.services.people import team
from kam.services.people.team import MemberChoice
from kam.services.pipeline.deals import Moved, move_deal
from kam.services.pipeline.filters import DealFilter, DealRow
from kam.services.pipeline.lists import deal_position, first_cards, list_deals
from kam.services.unit import reads, writes

# --- what the pipeline screen asks for in one read or write -----------------------------------


@reads
def board_pages(
    session: Session,
    f: DealFilter,
    as_of: date,
    size: int,
    cursors: dict[OpportunityStage, int],
) -> dict[OpportunityStage, tuple[int, list[DealRow]]]:
    """For each stage's column, the page its cursor is on and that page's cards."""
    firsts = first_cards(session, f, as_of, size)
    pages = {}
    for stage, cursor in cursors.items():
        page = cursor // size
        if page:  # a column scrolled down: the page its cursor is on
            rows = list_deals(session, replace(f, stage=stage), as_of, page * size, size)
        else:
            rows = firsts[stage]
        pages[stage] = (page, rows)
    return pages


@writes
def move_on_board(
    session: Session, deal_id: uuid.UUID, step: int, user: str, as_of: date, f: DealFilter
) -> tuple[Moved, int | None]:
    """Move a deal one stage, and say where it now is in its new column under `f`."""
    moved = move_deal(session, deal_id, step, user, as_of)
    return moved, deal_position(session, replace(f, stage=moved.stage), deal_id)


@reads
def filter_choices(session: Session) -> tuple[list[MemberChoice], dict[ValueTier, str]]:
    """The people and the tier names the pipeline's filters offer."""
    labels = settings_service.load(session, ClassificationSettings).tier_labels
    return team.members(session), dict(labels)
