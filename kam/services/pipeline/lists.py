"""The deal list: counted, sorted and read a page at a time, and the first cards of each board
column."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from kam.errors import KamError
from kam.models import (
    Account,
    Activity,
    Opportunity,
    TeamMember,
)
from kam.models.enums import (
    OPEN_STAGES,
    OpportunityStage,
)
from kam.services import settings as settings_service
from kam.services.pipeline.filters import (
    DealFilter,
    DealRow,
    deal_conditions,
    is_key,
    joined_tables,
)
from kam.services.pipeline.stages import PipelineSettings
from kam.services.unit import reads

_opp = Opportunity.__table__
_acct = Account.__table__
_member = TeamMember.__table__
_activity = Activity.__table__


# --- lists ------------------------------------------------------------------------------------

_STAGE_ORDER = sa.case(
    {s.value: i for i, s in enumerate(OpportunityStage)}, value=_opp.c.stage, else_=99
)
SORTS: dict[str, tuple[Any, ...]] = {
    "amount": (_opp.c.amount_minor,),
    "weighted": (_opp.c.amount_minor * _opp.c.probability,),
    "probability": (_opp.c.probability, _opp.c.amount_minor),
    "close": (_opp.c.expected_close,),
    "stage": (_STAGE_ORDER, _opp.c.amount_minor),
    "account": (_acct.c.name_key,),
    "title": (sa.func.lower(_opp.c.title),),
    "owner": (_member.c.name,),
    "days": (_opp.c.stage_changed_at,),  # days in stage: the oldest change has the most
}
# Sorted this way, larger figures come first when the list is "descending".
_INVERTED = {"days"}


@reads
def count_deals(session: Session, f: DealFilter) -> int:
    conn = session.connection()
    return int(
        conn.execute(
            deal_conditions(conn, sa.select(sa.func.count()).select_from(_opp), f)
        ).scalar_one()
    )


@reads
def list_deals(
    session: Session,
    f: DealFilter,
    as_of: date,
    offset: int = 0,
    limit: int = 100,
    *,
    sort: str = "amount",
    descending: bool = True,
) -> list[DealRow]:
    if sort not in SORTS:
        raise KamError(f"cannot sort deals by {sort!r}")
    settings = settings_service.load(session, PipelineSettings)
    descending = descending != (sort in _INVERTED)
    order = []
    for column in SORTS[sort]:
        term = column.desc() if descending else column.asc()
        order.append(term.nulls_last())
    conn = session.connection()
    select = (
        deal_conditions(conn, _row_select(), f)
        .order_by(*order, _opp.c.id)
        .offset(offset)
        .limit(limit)
    )
    rows = conn.execute(select).all()
    return [_row(r, settings, as_of) for r in rows]


def first_cards(
    session: Session, f: DealFilter, as_of: date, limit: int = 100
) -> dict[OpportunityStage, list[DealRow]]:
    """The first `limit` open deals of every stage, largest first (a board's columns). With
    a text filter, one statement, so the names are matched once rather than per column;
    without, one index walk per column, which stops at `limit` deals."""
    if not f.text.strip():
        return {
            stage: list_deals(session, replace(f, stage=stage), as_of, 0, limit)
            for stage in OPEN_STAGES
        }
    settings = settings_service.load(session, PipelineSettings)
    place = sa.func.row_number().over(
        partition_by=_opp.c.stage, order_by=(_opp.c.amount_minor.desc(), _opp.c.id)
    )
    ranked = deal_conditions(
        session.connection(),
        sa.select(_opp.c.id.label("deal_id"), place.label("place")).select_from(_opp),
        f,
        state="open",
    ).subquery()
    select = (
        _row_select()
        .join(ranked, ranked.c.deal_id == _opp.c.id)
        .where(ranked.c.place <= limit)
        .order_by(_opp.c.stage, ranked.c.place)
    )
    cards: dict[OpportunityStage, list[DealRow]] = {s: [] for s in OPEN_STAGES}
    for r in session.connection().execute(select):
        row = _row(r, settings, as_of)
        cards[row.stage].append(row)
    return cards


def _row_select() -> sa.Select:
    """A deal as a list shows it, with its account, owner and last activity."""
    last_activity = (
        sa.select(sa.func.max(_activity.c.occurred_on))
        .where(_activity.c.opportunity_id == _opp.c.id)
        .scalar_subquery()
    )
    return sa.select(
        _opp.c.id,
        _opp.c.account_id,
        _acct.c.name.label("account"),
        sa.func.coalesce(is_key(), False).label("key_account"),
        _opp.c.title,
        _opp.c.category,
        _opp.c.amount_minor,
        _opp.c.stage,
        _opp.c.probability,
        _opp.c.probability_overridden,
        _opp.c.expected_close,
        _member.c.name.label("owner"),
        _opp.c.next_step,
        _opp.c.next_step_due,
        _opp.c.closed_on,
        _opp.c.close_reason,
        _opp.c.stage_changed_at,
        last_activity.label("last_activity"),
    ).select_from(joined_tables())


def _row(r: Any, settings: PipelineSettings, as_of: date) -> DealRow:
    stage = OpportunityStage(r.stage)
    changed_on = r.stage_changed_at.astimezone().date()
    days = max(0, (as_of - changed_on).days)
    touched = max(changed_on, r.last_activity) if r.last_activity else changed_on
    is_open = stage in OPEN_STAGES
    return DealRow(
        id=r.id,
        account_id=r.account_id,
        account=r.account,
        key_account=bool(r.key_account),
        title=r.title,
        category=r.category,
        amount_minor=int(r.amount_minor),
        stage=stage,
        probability=int(r.probability),
        probability_overridden=bool(r.probability_overridden),
        expected_close=r.expected_close,
        owner=r.owner,
        next_step=r.next_step,
        next_step_due=r.next_step_due,
        closed_on=r.closed_on,
        close_reason=r.close_reason,
        days_in_stage=days,
        last_activity=r.last_activity,
        stale=is_open and (as_of - touched).days > settings.stale_days[stage],
        overdue=is_open and r.expected_close is not None and r.expected_close < as_of,
    )


def deal_position(session: Session, f: DealFilter, deal_id: uuid.UUID) -> int | None:
    """Where a deal stands in a list sorted by amount, largest first (a board column)."""
    deal = session.get(Opportunity, deal_id)
    if deal is None:
        return None
    ahead = sa.or_(
        _opp.c.amount_minor > deal.amount_minor,
        sa.and_(_opp.c.amount_minor == deal.amount_minor, _opp.c.id < deal.id),
    )
    conn = session.connection()
    select = deal_conditions(conn, sa.select(sa.func.count()).select_from(_opp), f).where(ahead)
    return int(conn.execute(select).scalar_one())
