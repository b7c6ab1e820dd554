"""Errors a person can act on. Each carries a one-line message fit for the screen or stderr."""


class KamError(Exception):
    """Something the user can fix; shown as one line, never as a traceback."""


class DatabaseOpenError(KamError):
    """The database cannot be opened or is not a kam database."""


class ReadOnlyError(KamError):
    """A write to a database opened read-only, or one found damaged: nothing was saved."""


class InputError(KamError):
    """Bad input; `field` names where, so a form can show the message beside it."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ConflictError(KamError):
    """The row changed since it was read (another window, process or laptop saved first)."""


class InputErrors(InputError):
    """Several bad fields at once, so a form can mark all of them in one go."""

    def __init__(self, errors: dict[str, str]) -> None:
        first_field, first = next(iter(errors.items()))
        super().__init__(first if len(errors) == 1 else f"{first} (and {len(errors) - 1} more)")
        self.field = first_field
        self.errors = dict(errors)
