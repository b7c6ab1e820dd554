"""Reading what people type: dates and amounts, with messages that say what was wrong."""

from __future__ import annotations

import re
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


_AMOUNT = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^\d+(?:\.\d+)?$|^\.\d+$")
_CURRENCY_MARKS = "¥￥$€£"


def parse_amount(text: str, field: str = "amount") -> int:
    """An amount of money as minor units (cents): `12500`, `12,500.50`, `¥1,234.50`, a
    leading minus or accounting brackets for negatives. Shorthand such as `1.2k` is refused
    rather than guessed; more than two decimals are refused rather than rounded."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise InputError(f"{field}: an amount is required", field)
    negative = False
    if cleaned.startswith("(") and cleaned.endswith(")"):
        negative, cleaned = True, cleaned[1:-1].strip()
    if cleaned.startswith("-"):
        negative, cleaned = not negative, cleaned[1:].strip()
    cleaned = cleaned.strip(_CURRENCY_MARKS).strip().replace(" ", "").replace("\u00a0", "")
    if not _AMOUNT.match(cleaned):
        raise InputError(f"{field}: {text.strip()!r} is not an amount (try 12,500.00)", field)
    whole, _, fraction = cleaned.replace(",", "").partition(".")
    if len(fraction) > 2:
        raise InputError(f"{field}: {text.strip()!r} has more than two decimals", field)
    minor = int(whole or "0") * 100 + int((fraction + "00")[:2])
    return -minor if negative else minor
