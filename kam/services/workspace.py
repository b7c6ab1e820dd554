"""Everything the account screen shows, read in one session: profile, standing, revenue, team,
contacts with their map and warnings, and the change history."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlmodel import Session

from kam.models.enums import AccountClass
from kam.services import settings as settings_service
from kam.services.accounts import group_figures, groups, listing
from kam.services.accounts.listing import AccountDetail
from kam.services.classify import segments
from kam.services.classify.pareto import ClassificationSettings
from kam.services.contact_plan import activities, plan_items, policies
from kam.services.health import feedback
from kam.services.health import score as health
from kam.services.health.model import Health
from kam.services.history import changes as history
from kam.services.history.changes import HistoryRow
from kam.services.people import contacts, team
from kam.services.people.contacts import ContactRow
from kam.services.people.team import TeamRow, Threading
from kam.services.pipeline import deals as pipeline
from kam.services.pipeline import forecast, lists
from kam.services.pipeline.deals import StageStep
from kam.services.pipeline.filters import DealFilter, DealRow
from kam.services.pipeline.forecast import Forecast
from kam.services.unit import reads
from kam.services.wallet import share_of_wallet as wallet

ACTIVITY_LIMIT = 200  # the newest activities an account screen lists
DEAL_LIMIT = 500  # open deals, and again closed ones, an account screen lists


@dataclass
class Workspace:
    detail: AccountDetail
    settings: ClassificationSettings
    team: list[TeamRow]
    contacts: list[ContactRow]
    threading: Threading
    history: list[HistoryRow]
    deals: list[DealRow]  # open first (largest first), then closed (latest first)
    forecast: Forecast  # the account's pipeline by stage
    stage_paths: dict[uuid.UUID, list[StageStep]]
    plan: list[plan_items.PlanRow]
    activities: list[activities.ActivityRow]
    last_contact: date | None
    contact_last_contact: dict[uuid.UUID, date]
    policy_offer: str | None  # the policy to offer, when the plan does not follow it
    silence: str | None  # a key account silent for longer than its policy allows
    # What kam works out about the account, read just after the rest (load_insight), so the
    # screen opens without waiting for it.
    wallet: wallet.WalletView | None = None
    health: Health | None = None  # None: not a watched account (or not read yet)
    behaviour: segments.Behaviour | None = None
    complaints: list[feedback.ComplaintRow] = field(default_factory=list)
    surveys: list[feedback.SurveyRow] = field(default_factory=list)
    insight_loaded: bool = False
    group: groups.Group | None = None  # the group it is part of, or heads
    # Its figures with its members' (or, for an account with none, its whole group's).
    group_rollup: group_figures.Rollup | None = None

    @property
    def key_account(self) -> bool:
        c = self.detail.classification
        if self.detail.account.archived_at is not None:
            return False
        return self.detail.account.strategic or (
            c is not None and c.account_class != AccountClass.general
        )

    @property
    def relationship_warnings(self) -> list[str]:
        return contacts.relationship_warnings(self.contacts, key_account=self.key_account)

    @property
    def warnings(self) -> list[str]:
        """Everything that puts the relationship at risk, most structural first."""
        found = []
        if self.threading.single_threaded:
            found.append(f"single-threaded: {self.threading.reason}")
        if self.silence:
            found.append(self.silence)
        return found + self.relationship_warnings


@reads
def load_workspace(session: Session, account_id: uuid.UUID, as_of: date) -> Workspace:
    detail = listing.account_detail(session, account_id, as_of)
    mine = DealFilter(account_id=account_id)
    deals = lists.list_deals(session, mine, as_of, 0, DEAL_LIMIT) + lists.list_deals(
        session, replace(mine, state="closed"), as_of, 0, DEAL_LIMIT, sort="close"
    )
    account, cls = detail.account, detail.classification
    last = activities.last_contact(session, account_id)
    plan = plan_items.account_plan(session, account_id)
    return Workspace(
        detail=detail,
        settings=settings_service.load(session, ClassificationSettings),
        team=team.account_team(session, account_id),
        contacts=contacts.account_contacts(session, account_id),
        threading=team.threading(session, account_id),
        history=history.account_history(session, account_id),
        deals=deals,
        forecast=forecast.forecast(session, mine, as_of, "stage"),
        stage_paths=pipeline.stage_paths(session, [d.id for d in deals]),
        plan=plan,
        activities=activities.account_activities(session, account_id, limit=ACTIVITY_LIMIT),
        last_contact=last,
        contact_last_contact=activities.contacts_last_contact(session, account_id),
        policy_offer=policies.policy_to_offer(session, account, cls, plan),
        silence=policies.silence_warning(session, account, cls, last, as_of),
        group=groups.group_of(session, account_id),
    )


@reads
def load_insight(session: Session, account_id: uuid.UUID, as_of: date) -> dict[str, Any]:
    """The account's share of wallet, health, segment, complaints and satisfaction scores."""
    return {
        "wallet": wallet.account_wallet(session, account_id, as_of),
        "health": health.account_health(session, account_id, as_of),
        "behaviour": segments.account_behaviour(session, account_id),
        "complaints": feedback.account_complaints(session, account_id),
        "surveys": feedback.account_surveys(session, account_id),
        "group_rollup": group_figures.for_account(session, account_id, as_of),
        "insight_loaded": True,
    }


@reads
def warm_up(session: Session, as_of: date) -> None:
    """Read the account at the top of the list as its screen would, and drop it: the first
    account a person opens then finds its statements compiled."""
    first = listing.list_accounts(session, listing.AccountListQuery(), 0, 1)
    if first:
        load_account(session, first[0].id, as_of)


@reads
def load_account(session: Session, account_id: uuid.UUID, as_of: date) -> Workspace:
    """Every tab's data at once (the Account plan tab reads its own when shown): how an
    account is opened, so its screen is laid out and painted once."""
    return replace(
        load_workspace(session, account_id, as_of), **load_insight(session, account_id, as_of)
    )
