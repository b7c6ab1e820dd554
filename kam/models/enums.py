"""Closed vocabularies of the key-account practice.

Values are stored as lowercase strings with a CHECK constraint, so a row written by any
client (SQL shell, import, another laptop) stays inside the vocabulary.
"""

from enum import StrEnum


class AccountClass(StrEnum):
    """Where an account sits in the customer pyramid by revenue (or by judgement)."""

    core = "core"  # the top ~5% of accounts, bringing over half of revenue
    major = "major"  # the next ~20%
    emerging = "emerging"  # small today, expected to grow into major or core
    general = "general"


class ValueTier(StrEnum):
    diamond = "diamond"
    gold = "gold"
    strategic = "strategic"
    potential = "potential"
    general = "general"
    problem = "problem"  # costs more to serve than it brings: a negative asset


class AccountStatus(StrEnum):
    active = "active"
    silent = "silent"
    lost = "lost"


class RelationshipStage(StrEnum):
    """Depth of the relationship in industrial KAM."""

    transactional = "transactional"
    value = "value"
    strategic_partnership = "strategic_partnership"


class RelationshipHorizon(StrEnum):
    one_off = "one_off"
    phased = "phased"
    seasonal = "seasonal"
    long_term = "long_term"


class RelationshipType(StrEnum):
    """Transactional accounts buy on price alone; relational ones want a partnership."""

    transactional = "transactional"
    relational = "relational"


class BuyingFactor(StrEnum):
    value = "value"  # the innovation partner
    price = "price"
    relationship = "relationship"  # the trusted supplier


class TeamRole(StrEnum):
    account_lead = "account_lead"
    executive_sponsor = "executive_sponsor"
    sales = "sales"
    service = "service"
    technical = "technical"
    marketing = "marketing"
    rnd_design = "rnd_design"


class BuyingRole(StrEnum):
    decision_maker = "decision_maker"
    economic_buyer = "economic_buyer"
    technical_evaluator = "technical_evaluator"
    influencer = "influencer"
    champion = "champion"
    user = "user"
    gatekeeper = "gatekeeper"
    blocker = "blocker"


class Attitude(StrEnum):
    champion = "champion"
    supporter = "supporter"
    neutral = "neutral"
    skeptic = "skeptic"
    opponent = "opponent"


class Influence(StrEnum):
    high = "high"
    medium = "medium"
    low = "low"


class RelationshipStrength(StrEnum):
    none = "none"
    brief = "brief"
    regular = "regular"
    strong = "strong"
    trusted = "trusted"


class NeedKind(StrEnum):
    information = "information"
    environment = "environment"
    emotional = "emotional"
    convenience = "convenience"


class NeedVisibility(StrEnum):
    explicit = "explicit"
    latent = "latent"


class OpportunityStage(StrEnum):
    prospecting = "prospecting"
    qualification = "qualification"
    needs_analysis = "needs_analysis"
    proposal = "proposal"
    negotiation = "negotiation"
    won = "won"
    lost = "lost"


OPEN_STAGES = (
    OpportunityStage.prospecting,
    OpportunityStage.qualification,
    OpportunityStage.needs_analysis,
    OpportunityStage.proposal,
    OpportunityStage.negotiation,
)


class ActivityKind(StrEnum):
    visit = "visit"
    call = "call"
    email = "email"
    executive_meeting = "executive_meeting"
    business_review = "business_review"
    greeting = "greeting"
    event = "event"
    survey = "survey"
    offer = "offer"


class Sentiment(StrEnum):
    positive = "positive"
    neutral = "neutral"
    negative = "negative"


class PeriodKind(StrEnum):
    year = "year"
    quarter = "quarter"


class ActionStatus(StrEnum):
    open = "open"
    done = "done"
    dropped = "dropped"


class ObjectiveStatus(StrEnum):
    open = "open"
    on_track = "on_track"
    at_risk = "at_risk"
    achieved = "achieved"
    missed = "missed"


class ClassificationField(StrEnum):
    """Which label a tier-change row is about."""

    account_class = "account_class"
    tier = "tier"


class ChangeSource(StrEnum):
    classification = "classification"  # recomputed from revenue
    manual = "manual"  # a person's override


class ComplaintSeverity(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class HistorySubject(StrEnum):
    """What a change-history row is about."""

    account = "account"
    contact = "contact"
    team = "team"  # a membership of the account team
    need = "need"  # a contact's need
    opportunity = "opportunity"
    plan = "plan"  # an item of the contact plan
    activity = "activity"


class Segment(StrEnum):
    """Value x loyalty segment (A-E)."""

    top = "top"  # A: high value, high loyalty
    high_value_low_loyalty = "high_value_low_loyalty"  # B
    loyal = "loyal"  # C: low value, high loyalty
    small = "small"  # D: low value, low loyalty
    silent = "silent"  # E: too few purchases in the window

    @property
    def letter(self) -> str:
        return "ABCDE"[list(Segment).index(self)]


class RelationalGroup(StrEnum):
    """The three groups of valuable relational accounts."""

    most_profitable = "most_profitable"  # maintain
    could_grow = "could_grow"  # grow: good profit, could become the biggest
    losing_value = "losing_value"  # profitable now but losing value: retain


class HealthBand(StrEnum):
    red = "red"
    amber = "amber"
    green = "green"
