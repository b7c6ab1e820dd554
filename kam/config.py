"""Where data lives and the settings a team may change."""

from __future__ import annotations

import os
from pathlib import Path

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
    return configured("user")


def configured(key: str) -> str | None:
    """A string of the user's config.toml, or None when it is not there (or not readable)."""
    import tomllib

    try:
        with config_file().open("rb") as handle:
            value = tomllib.load(handle).get(key)
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return value if isinstance(value, str) else None


def save_configured(key: str, value: str) -> None:
    """Set one top-level string of config.toml, keeping every other line as it was. Written
    to a temporary file and renamed, readable by its owner only."""
    import json
    import re

    path = config_file()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        lines = []
    # A JSON string is a valid TOML basic string.
    line = f"{key} = {json.dumps(value, ensure_ascii=False)}"
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    # Top-level keys come before the first [table]: only those are replaced or added.
    end = next((i for i, text in enumerate(lines) if text.lstrip().startswith("[")), len(lines))
    found = next((i for i in range(end) if pattern.match(lines[i])), None)
    if found is None:
        lines.insert(end, line)
    else:
        lines[found] = line
    write_private(path, "\n".join(lines) + "\n")


def private_folder(path: Path) -> Path:
    """A folder of kam's (data, config, logs): readable by its owner only, made so if it was
    made otherwise before."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077 and path.stat().st_uid == os.getuid():
        path.chmod(0o700)
    return path


def write_private(path: Path, text: str) -> None:
    """Write a small file of kam's whole or not at all, readable by its owner only."""
    private_folder(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def crash_log_folder() -> Path:
    return data_dir() / "logs"


def default_database_path(*, demo: bool = False) -> Path:
    """The user's own database, or the separate demo database that `kam demo` writes."""
    return data_dir() / ("demo.db" if demo else "kam.db")


def is_url(value: str) -> bool:
    return "://" in value


def resolve_database(db: str | None, *, demo: bool = False) -> str:
    """Database URL from `--db` (a path or a URL), else $KAM_DATABASE, else the default file.

    The demo never falls back to $KAM_DATABASE, so it cannot overwrite a real database.
    """
    if db is not None and not db.strip():
        from kam.errors import KamError

        raise KamError("--db is empty: name a database file or URL, or leave --db out")
    value = db or (None if demo else os.environ.get(ENV_DATABASE))
    if value and is_url(value):
        return value
    path = Path(value).expanduser() if value else default_database_path(demo=demo)
    if not value:
        private_folder(path.parent)
    return f"sqlite:///{path.resolve()}"
