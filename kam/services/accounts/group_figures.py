"""A group's figures at any level: what an account and every account under it bring, buy,
might buy, who we know there, who serves it, what is overdue and how healthy it is. Every
sum runs in SQL over the members found by a recursive walk down the tree."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from kam.models import (
    Account,
    AccountClassification,
    AccountHealth,
    AccountTeamMember,
    Contact,
    Opportunity,
    PlanItem,
    RevenueLine,
    TeamMember,
    WalletEstimate,
)
from kam.models.enums import OPEN_STAGES, BuyingRole, HealthBand, PeriodKind, RelationshipStrength
from kam.services import settings as settings_service
from kam.services.accounts import groups
from kam.services.health.model import HealthSettings, band_of
from kam.services.pipeline.filters import weighted
from kam.services.unit import reads
from kam.services.values import periods
from kam.services.wallet import share_of_wallet as wallet

_acct = Account.__table__
_cls = AccountClassification.__table__
_opp = Opportunity.__table__
_contact = Contact.__table__
_team = AccountTeamMember.__table__
_member = TeamMember.__table__
_plan = PlanItem.__table__
_health = AccountHealth.__table__
_est = WalletEstimate.__table__
_rev = RevenueLine.__table__

DECIDES = (BuyingRole.decision_maker, BuyingRole.economic_buyer)
# A relationship at least this close counts as someone we know.
KNOWN = [s.value for s in RelationshipStrength][2:]  # regular, strong, trusted
SHOWN = 6  # decision makers, team members and weak members a panel names


@dataclass(frozen=True)
class Person:
    """One of their decision makers: who, where in the group, how well we know them."""

    name: str
    title: str | None
    account: str
    role: BuyingRole
    strength: RelationshipStrength


@dataclass(frozen=True)
class Server:
    """One of our people on the group: on how many of its accounts, in which roles."""

    name: str
    accounts: int
    roles: tuple[str, ...]


@dataclass(frozen=True)
class Weak:
    """A member whose health pulls the group's down."""

    name: str
    score: int
    band: HealthBand
    why: str  # why it is listed at risk, "" when it is not


@dataclass(frozen=True)
class Rollup:
    head: uuid.UUID
    name: str
    accounts: int  # the head and every live account under it
    revenue_minor: int  # in the classification window
    cost_minor: int
    open_deals: int
    open_minor: int
    weighted_minor: int
    contacts: int  # current contacts across the members
    known: int  # of them, the ones we know well (a regular relationship or closer)
    deciders: list[Person]  # their decision makers and economic buyers, best known first
    deciders_count: int
    unreached: int  # members where we know nobody at all
    team: list[Server]  # most accounts first
    team_count: int
    overdue_items: int  # planned contacts past due
    overdue_accounts: int
    health: int | None  # the members' scores weighted by their revenue; None: none watched
    band: HealthBand | None
    watched: int  # members with a health score
    weak: list[Weak]  # the members below the group's score, weakest first
    wallet: wallet.WalletView | None  # the group's spend and ours per category

    @property
    def margin(self) -> float | None:
        if not self.revenue_minor:
            return None
        return (self.revenue_minor - self.cost_minor) / self.revenue_minor


@reads
def rollup(session: Session, head: uuid.UUID, as_of: date) -> Rollup:
    """The figures of `head` and of every account under it, at any depth."""
    conn = session.connection()
    members = groups.members_of(head).subquery("members")
    in_group = sa.select(members.c.id)
    name = conn.execute(sa.select(_acct.c.name).where(_acct.c.id == head)).scalar_one()
    accounts = conn.execute(sa.select(sa.func.count()).select_from(members)).scalar_one()
    revenue, cost = conn.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(_cls.c.revenue_minor), 0),
            sa.func.coalesce(sa.func.sum(_cls.c.cost_minor), 0),
        ).where(_cls.c.account_id.in_(in_group))
    ).one()
    is_open = sa.and_(
        _opp.c.account_id.in_(in_group), _opp.c.stage.in_([s.value for s in OPEN_STAGES])
    )
    deals, amount, times = conn.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(_opp.c.amount_minor), 0),
            sa.func.coalesce(sa.func.sum(_opp.c.amount_minor * _opp.c.probability), 0),
        ).where(is_open)
    ).one()
    current = sa.and_(_contact.c.account_id.in_(in_group), _contact.c.left_on.is_(None))
    contacts, known = conn.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((_contact.c.strength.in_(KNOWN), 1), else_=0)), 0),
        ).where(current)
    ).one()
    deciding = sa.and_(current, _contact.c.buying_role.in_([r.value for r in DECIDES]))
    deciders_count = conn.execute(sa.select(sa.func.count()).where(deciding)).scalar_one()
    strength_order = sa.case(
        {s.value: i for i, s in enumerate(RelationshipStrength)}, value=_contact.c.strength
    )
    deciders = [
        Person(
            r.name, r.title, r.account, BuyingRole(r.buying_role), RelationshipStrength(r.strength)
        )
        for r in conn.execute(
            sa.select(
                _contact.c.name,
                _contact.c.title,
                _acct.c.name.label("account"),
                _contact.c.buying_role,
                _contact.c.strength,
            )
            .join(_acct, _acct.c.id == _contact.c.account_id)
            .where(deciding)
            .order_by(strength_order.desc(), _acct.c.name_key, _contact.c.name)
            .limit(SHOWN)
        )
    ]
    reached = sa.select(_contact.c.account_id).where(current)
    unreached = conn.execute(
        sa.select(sa.func.count()).select_from(members).where(members.c.id.not_in(reached))
    ).scalar_one()
    serving = (
        sa.select(
            _member.c.name,
            sa.func.count(sa.distinct(_team.c.account_id)).label("accounts"),
        )
        .join(_member, _member.c.id == _team.c.member_id)
        .where(_team.c.account_id.in_(in_group))
        .group_by(_member.c.id, _member.c.name)
    )
    team_rows = conn.execute(
        serving.order_by(sa.desc("accounts"), _member.c.name).limit(SHOWN)
    ).all()
    team_count = conn.execute(
        sa.select(sa.func.count(sa.distinct(_team.c.member_id))).where(
            _team.c.account_id.in_(in_group)
        )
    ).scalar_one()
    roles: dict[str, set[str]] = {}
    if team_rows:
        for member, role in conn.execute(
            sa.select(_member.c.name, _team.c.role)
            .join(_member, _member.c.id == _team.c.member_id)
            .where(
                _team.c.account_id.in_(in_group), _member.c.name.in_([r.name for r in team_rows])
            )
            .distinct()
        ):
            roles.setdefault(member, set()).add(role)
    team = [Server(r.name, r.accounts, tuple(sorted(roles.get(r.name, ())))) for r in team_rows]
    overdue = sa.and_(
        _plan.c.account_id.in_(in_group), _plan.c.active.is_(True), _plan.c.next_due < as_of
    )
    items, late = conn.execute(
        sa.select(sa.func.count(), sa.func.count(sa.distinct(_plan.c.account_id))).where(overdue)
    ).one()
    score, watched = _health_of(session, in_group)
    settings = settings_service.load(session, HealthSettings)
    band = band_of(score, settings) if score is not None else None
    weak = []
    if score is not None:
        weak = [
            Weak(r.name, r.score, HealthBand(r.band), r.listed_for or "")
            for r in conn.execute(
                sa.select(_acct.c.name, _health.c.score, _health.c.band, _health.c.listed_for)
                .join(_acct, _acct.c.id == _health.c.account_id)
                .where(_health.c.account_id.in_(in_group), _health.c.score < score)
                .order_by(_health.c.score, _acct.c.name_key)
                .limit(SHOWN)
            )
        ]
    return Rollup(
        head=head,
        name=name,
        accounts=accounts,
        revenue_minor=int(revenue),
        cost_minor=int(cost),
        open_deals=deals,
        open_minor=int(amount),
        weighted_minor=weighted(int(times)),
        contacts=contacts,
        known=int(known),
        deciders=deciders,
        deciders_count=deciders_count,
        unreached=unreached,
        team=team,
        team_count=team_count,
        overdue_items=items,
        overdue_accounts=late,
        health=score,
        band=band,
        watched=watched,
        weak=weak,
        wallet=_wallet(session, in_group, head, as_of),
    )


@reads
def for_account(session: Session, account_id: uuid.UUID, as_of: date) -> Rollup | None:
    """The figures an account's screen shows: its own with its members' when it has members,
    else its whole group's (None: it stands alone)."""
    conn = session.connection()
    has_members = conn.execute(
        sa.select(_acct.c.id)
        .where(_acct.c.parent_id == account_id, _acct.c.archived_at.is_(None))
        .limit(1)
    ).first()
    if has_members is not None:
        return rollup(session, account_id, as_of)
    above = groups.chain_above(session, account_id)
    return rollup(session, above[-1], as_of) if above else None


def _health_of(session: Session, in_group: sa.Select) -> tuple[int | None, int]:
    """The members' health scores weighted by their revenue (plainly averaged when none has
    revenue), and how many members have one."""
    row = (
        session.connection()
        .execute(
            sa.select(
                sa.func.count(),
                sa.func.sum(_health.c.score * sa.func.coalesce(_cls.c.revenue_minor, 0)),
                sa.func.sum(sa.func.coalesce(_cls.c.revenue_minor, 0)),
                sa.func.avg(_health.c.score),
            )
            .select_from(_health.outerjoin(_cls, _cls.c.account_id == _health.c.account_id))
            .where(_health.c.account_id.in_(in_group))
        )
        .one()
    )
    watched, scored, revenue, plain = row
    if not watched:
        return None, 0
    if revenue and revenue > 0:
        return round(int(scored) / int(revenue)), watched
    return round(float(plain)), watched


def _wallet(
    session: Session, in_group: sa.Select, head: uuid.UUID, as_of: date
) -> wallet.WalletView | None:
    """The members' yearly estimates and our revenue summed per category and year, compared
    as the Wallet tab compares one account's."""
    kind = PeriodKind.year
    conn = session.connection()
    estimates = conn.execute(
        sa.select(
            sa.null().label("id"),
            sa.literal(head).label("account_id"),
            _est.c.category,
            _est.c.period_start,
            # (a sum is NUMERIC on PostgreSQL: the view's arithmetic wants whole minor units)
            sa.cast(sa.func.sum(_est.c.total_spend_minor), sa.BigInteger).label(
                "total_spend_minor"
            ),
            sa.null().label("customer_growth"),
        )
        .where(_est.c.account_id.in_(in_group), _est.c.period_kind == kind.value)
        .group_by(_est.c.category, _est.c.period_start)
    ).all()
    if not estimates:
        return None
    settings = settings_service.load(session, wallet.WalletSettings)
    since = periods.Period(min(e.period_start for e in estimates), kind).previous().start
    ours = wallet.group_revenue(
        session, _rev.c.account_id.in_(in_group), kind, since, as_of + timedelta(days=1)
    )
    return wallet.build_view(head, estimates, ours, {}, kind, as_of, settings, settings.periods)
