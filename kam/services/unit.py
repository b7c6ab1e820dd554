"""The unit of work of each thing a screen asks of the domain.

A service function that a screen or the command line calls says, with `reads`, `writes` or
`derives`, what it needs of the database; an `Intent` is that function with its arguments,
and running it opens the session it declared, commits a write only if it returns, and closes
the session. Screens hand intents to a worker and never hold a session themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from kam.db import Database

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

READ, WRITE, DERIVED = "read", "write", "derived"


def _declare(unit: str) -> Callable[[F], F]:
    def mark(fn: F) -> F:
        fn.kam_unit = unit  # type: ignore[attr-defined]
        return fn

    return mark


reads = _declare(READ)  # a read: a read-only session, nothing written
writes = _declare(WRITE)  # a change people make: refused on a read-only database
# figures kam works out and stores (classification, health, headline figures): written
# even where the database is opened read-only for people's changes
derives = _declare(DERIVED)


def unit_of(fn: Callable[..., Any]) -> str:
    unit = getattr(fn, "kam_unit", None)
    if unit is None:
        raise TypeError(f"{fn.__qualname__} does not declare its unit of work")
    return unit


class Intent(Generic[T]):
    """A service call waiting to run: the function and its arguments, without the session."""

    __slots__ = ("args", "fn", "kwargs", "unit")

    def __init__(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> None:
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.unit = unit_of(fn)

    def also(self, **kwargs: Any) -> Intent[T]:
        """The same call with more keyword arguments (a form's `raw` and `base`)."""
        return Intent(self.fn, *self.args, **self.kwargs, **kwargs)

    @property
    def writes(self) -> bool:
        return self.unit != READ

    def run(self, database: Database) -> T:
        if self.unit == READ:
            opened = database.read()
        else:
            opened = database.write(derived=self.unit == DERIVED)
        with opened as session:
            return self.fn(session, *self.args, **self.kwargs)

    def __repr__(self) -> str:
        return f"Intent({self.fn.__qualname__}, {self.unit})"
