"""Reading what people type: dates and amounts, with messages that say what was wrong."""

from __future__ import annotations

from datetime import date

from dateutil import parser as date_parser

from kam.errors import InputError


def parse_date(text: str, field: str = "date", *, dayfirst: bool = False) -> date:
    """Any date dateutil reads (2026-03-05, 5 Mar 2026, 2026/3/5), as a calendar date."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise InputError(f"{field}: a date is required", field)
    try:
        return date_parser.parse(cleaned, dayfirst=dayfirst).date()
    except (ValueError, OverflowError):
        raise InputError(f"{field}: {cleaned!r} is not a date (try 2026-03-05)", field) from None
