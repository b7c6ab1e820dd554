"""Errors a person can act on. Each carries a one-line message fit for the screen or stderr."""


class KamError(Exception):
    """Something the user can fix; shown as one line, never as a traceback."""


class DatabaseOpenError(KamError):
    """The database cannot be opened or is not a kam database."""


class InputError(KamError):
    """Bad input; `field` names where, so a form can show the message beside it."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ConflictError(KamError):
    """The row changed since it was read (another window, process or laptop saved first)."""
