"""Where data lives and the settings a team may change."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from kam.models.enums import ValueTier

ENV_DATABASE = "KAM_DATABASE"
ENV_USER = "KAM_USER"
APP_NAME = "kam"


def data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def config_file() -> Path:
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False) / "config.toml"


def current_user(explicit: str | None = None) -> str:
    """Who is making changes, for the history: `--user`, else $KAM_USER, else `user = "..."`
    in the user's config.toml, else the operating system's login name."""
    for candidate in (explicit, os.environ.get(ENV_USER), _configured_user()):
        if candidate and candidate.strip():
            return " ".join(candidate.split())[:120]
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no login name (some containers): still record something honest
        return "unknown"


def _configured_user() -> str | None:
    import tomllib

    try:
        with config_file().open("rb") as handle:
            value = tomllib.load(handle).get("user")
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return value if isinstance(value, str) else None


def default_database_path(*, demo: bool = False) -> Path:
    """The user's own database, or the separate demo database that `kam demo` writes."""
    return data_dir() / ("demo.db" if demo else "kam.db")


def is_url(value: str) -> bool:
    return "://" in value


def resolve_database(db: str | None, *, demo: bool = False) -> str:
    """Database URL from `--db` (a path or a URL), else $KAM_DATABASE, else the default file.

    The demo never falls back to $KAM_DATABASE, so it cannot overwrite a real database.
    """
    value = db or (None if demo else os.environ.get(ENV_DATABASE))
    if value and is_url(value):
        return value
    path = Path(value).expanduser() if value else default_database_path(demo=demo)
    if not value:
        path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path.resolve()}"


DEFAULT_TIER_LABELS: dict[ValueTier, str] = {
    ValueTier.diamond: "Diamond",
    ValueTier.gold: "Gold",
    ValueTier.strategic: "Strategic",
    ValueTier.potential: "Potential",
    ValueTier.general: "General",
    ValueTier.problem: "Problem",
}


@dataclass(frozen=True)
class ClassificationSettings:
    """Pareto cut-offs as shares of ranked accounts, in basis points so that ceil(5% x N) is
    exact integer arithmetic (0.05 x 100 is 5.000000000000001 in floating point)."""

    core_bp: int = 500  # top 5% of accounts with revenue are `core`
    major_bp: int = 2500  # ... and up to 25% in total are `major`
    window: str = "12m"  # 12m, 24m, 3y or lifetime
    tier_labels: dict[ValueTier, str] = field(default_factory=lambda: dict(DEFAULT_TIER_LABELS))

    def label(self, tier: ValueTier) -> str:
        return self.tier_labels.get(tier) or str(tier).title()
