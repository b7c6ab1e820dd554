"""Everything the account screen shows, read in one session: profile, standing, revenue, team,
contacts with their map and warnings, and the change history."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date

from sqlmodel import Session

from kam.config import ClassificationSettings
from kam.models.enums import AccountClass
from kam.services import accounts, contacts, history, pipeline, team
from kam.services import settings as settings_service
from kam.services.accounts import AccountDetail
from kam.services.contacts import ContactRow
from kam.services.history import HistoryRow
from kam.services.pipeline import DealFilter, DealRow, Forecast, StageStep
from kam.services.team import TeamRow, Threading

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
        return found + self.relationship_warnings


def load_workspace(session: Session, account_id: uuid.UUID, today: date) -> Workspace:
    detail = accounts.account_detail(session, account_id, today)
    mine = DealFilter(account_id=account_id)
    deals = pipeline.list_deals(session, mine, today, 0, DEAL_LIMIT) + pipeline.list_deals(
        session, replace(mine, state="closed"), today, 0, DEAL_LIMIT, sort="close"
    )
    return Workspace(
        detail=detail,
        settings=settings_service.classification_settings(session),
        team=team.account_team(session, account_id),
        contacts=contacts.account_contacts(session, account_id),
        threading=team.threading(session, account_id),
        history=history.account_history(session, account_id),
        deals=deals,
        forecast=pipeline.forecast(session, mine, today, "stage"),
        stage_paths=pipeline.stage_paths(session, [d.id for d in deals]),
    )
