"""Steering SQLite's query planner where it would choose a portfolio-wide index.

Without statistics (kam does not run ANALYZE: on the demo at 100k accounts it made the board,
the forecast and the accounts list slower), SQLite weighs two indexes that each match an
equality and a range as equal, and takes the one its schema lists last. That order differs
from one database to another (Alembic rebuilds a table's indexes in no fixed order), so for
a few accounts "active plan items due before today" could be read through (active, next_due),
every overdue item in the portfolio, on one laptop and through the accounts' own
(account_id, next_due) on the next.
"""

from __future__ import annotations

import sqlalchemy as sa


def by_account(*conditions: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    """The conditions inside a CASE, where no index can serve them, so the rows are found by
    account first (for one account or a page of them, where a portfolio-wide index would
    read every row it holds)."""
    return sa.case((sa.and_(*conditions), 1), else_=0) == 1
