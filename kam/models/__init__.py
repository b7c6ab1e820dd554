"""All tables; importing this module registers them on `SQLModel.metadata`."""

from sqlmodel import SQLModel

from kam.models.account import NAME_SEARCH_TABLE, Account, is_name_search_table, name_key
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
from kam.models.wallet import WalletCompetitor, WalletEstimate

metadata = SQLModel.metadata

__all__ = [
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
    "PlanItem",
    "PlanObjective",
    "RevenueLine",
    "Review",
    "ReviewDecision",
    "SatisfactionScore",
    "Setting",
    "SettingChange",
    "TeamMember",
    "TierChange",
    "WalletCompetitor",
    "WalletEstimate",
    "is_name_search_table",
    "metadata",
    "name_key",
]
