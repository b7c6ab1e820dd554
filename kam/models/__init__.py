"""All tables; importing this module registers them on `SQLModel.metadata`."""

from sqlmodel import SQLModel

from kam.models.account import (
    NAME_SEARCH_TABLE,
    Account,
    Region,
    is_name_search_table,
    name_key,
)
from kam.models.classification import AccountClassification, TierChange
from kam.models.engagement import (
    Activity,
    ActivityContact,
    ActivityMember,
    Complaint,
    PlanItem,
    SatisfactionScore,
)
from kam.models.history import ChangeRecord
from kam.models.insight import AccountHealth, AccountSegment, HealthHistory
from kam.models.opportunity import Opportunity, OpportunityStageChange
from kam.models.people import AccountTeamMember, Contact, ContactNeed, TeamMember
from kam.models.revenue import RevenueLine
from kam.models.review import AccountPlan, ActionItem, PlanObjective, Review, ReviewDecision
from kam.models.setting import Setting, SettingChange
from kam.models.sync import OutboxEntry, ReplicaState, SyncConflict
from kam.models.wallet import WalletCompetitor, WalletEstimate

metadata = SQLModel.metadata
CHANGE_LOG_TABLE = "sync_change"  # the team database's change log, made by hand (PostgreSQL)


def made_by_hand(name: str | None, kind: str, parent_names: dict) -> bool:
    """Tables and indexes the migrations make without a model: the trigram index of names
    (SQLite's FTS5) and the change log of a team database."""
    table = name if kind == "table" else parent_names.get("table_name")
    return is_name_search_table(table) or table == CHANGE_LOG_TABLE


__all__ = [
    "CHANGE_LOG_TABLE",
    "NAME_SEARCH_TABLE",
    "Account",
    "AccountClassification",
    "AccountHealth",
    "AccountPlan",
    "AccountSegment",
    "AccountTeamMember",
    "ActionItem",
    "Activity",
    "ActivityContact",
    "ActivityMember",
    "ChangeRecord",
    "Complaint",
    "Contact",
    "ContactNeed",
    "HealthHistory",
    "Opportunity",
    "OpportunityStageChange",
    "OutboxEntry",
    "PlanItem",
    "PlanObjective",
    "Region",
    "ReplicaState",
    "RevenueLine",
    "Review",
    "ReviewDecision",
    "SatisfactionScore",
    "Setting",
    "SettingChange",
    "SyncConflict",
    "TeamMember",
    "TierChange",
    "WalletCompetitor",
    "WalletEstimate",
    "is_name_search_table",
    "made_by_hand",
    "metadata",
    "name_key",
]
