"""Colours for classes and tiers, the same on every screen."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from kam.models.enums import AccountClass, AccountStatus, HealthBand, ValueTier

TIER_STYLES: dict[ValueTier, Style] = {
    ValueTier.diamond: Style(color="bright_cyan", bold=True),
    ValueTier.gold: Style(color="yellow", bold=True),
    ValueTier.strategic: Style(color="magenta", bold=True),
    ValueTier.potential: Style(color="green"),
    ValueTier.general: Style(color="grey62"),
    ValueTier.problem: Style(color="red", bold=True),
}
CLASS_STYLES: dict[AccountClass, Style] = {
    AccountClass.core: Style(color="bright_cyan", bold=True),
    AccountClass.major: Style(color="yellow"),
    AccountClass.emerging: Style(color="green"),
    AccountClass.general: Style(color="grey62"),
}
STATUS_STYLES: dict[AccountStatus, Style] = {
    AccountStatus.active: Style(color="green"),
    AccountStatus.silent: Style(color="yellow"),
    AccountStatus.lost: Style(color="red"),
}
WARNING_STYLE = Style(color="yellow")
BAND_STYLES: dict[HealthBand, Style] = {
    HealthBand.red: Style(color="red", bold=True),
    HealthBand.amber: Style(color="yellow"),
    HealthBand.green: Style(color="green"),
}
TIER_MARKS = {
    ValueTier.diamond: "◆",
    ValueTier.gold: "●",
    ValueTier.strategic: "★",
    ValueTier.potential: "▲",
    ValueTier.general: "·",
    ValueTier.problem: "✖",
}


def class_cell(account_class: AccountClass, strategic: bool = False) -> tuple[str, Style]:
    return account_class.value + ("*" if strategic else ""), CLASS_STYLES[account_class]


def tier_cell(tier: ValueTier, label: str) -> tuple[str, Style]:
    return f"{TIER_MARKS[tier]} {label}", TIER_STYLES[tier]


def tier_badge(tier: ValueTier, label: str) -> Text:
    text, style = tier_cell(tier, label)
    return Text(text, style=style)


def class_badge(account_class: AccountClass, strategic: bool = False) -> Text:
    text, style = class_cell(account_class, strategic)
    return Text(text, style=style)


def health_cell(score: int | None, band: HealthBand | None) -> tuple[str, Style | None]:
    """`● 42` in the band's colour; blank for an account whose health is not watched."""
    if score is None or band is None:
        return "", None
    return f"● {score}", BAND_STYLES[band]


def health_badge(score: int | None, band: HealthBand | None) -> Text:
    text, style = health_cell(score, band)
    return Text(f"{text} {band.value}" if band else "not watched", style=style or "dim")
