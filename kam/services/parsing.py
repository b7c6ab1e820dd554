"""Reading what people type: dates and amounts, with messages that say what was wrong."""

from __future__ import annotations

import re
from datetime import date

from dateutil import parser as date_parser

from kam.errors import InputError

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YEAR_FIRST = re.compile(r"^\d{4}[-/.年]")
FIRST_YEAR, LAST_YEAR = 1900, 2200  # outside these, a date is a typing mistake


def parse_date(text: str, field: str = "date", *, dayfirst: bool = False) -> date:
    """Any date dateutil reads (2026-03-05, 5 Mar 2026, 2026/3/5), as a calendar date."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise InputError(f"{field}: a date is required", field)
    if _ISO.match(cleaned):  # the common case, read without dateutil's general parser
        try:
            value = date.fromisoformat(cleaned)
        except ValueError:
            raise InputError(
                f"{field}: {cleaned!r} is not a date (try 2026-03-05)", field
            ) from None
        return _plausible(value, cleaned, field)
    if "年" in cleaned or "月" in cleaned:  # 2026年3月5日
        cleaned = cleaned.replace("年", "-").replace("月", "-").replace("日", "").strip("- ")
    # A date that starts with the year (2026-03-05, 2026/3/5) is year-month-day whatever the
    # day-first setting says; dateutil would read it as 2026-05-03.
    year_first = bool(_YEAR_FIRST.match(cleaned))
    try:
        value = date_parser.parse(
            cleaned, dayfirst=dayfirst and not year_first, yearfirst=year_first
        ).date()
    except (ValueError, OverflowError):
        raise InputError(f"{field}: {cleaned!r} is not a date (try 2026-03-05)", field) from None
    return _plausible(value, cleaned, field)


def _plausible(value: date, text: str, field: str) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise InputError(
            f"{field}: {text!r} is not a date between {FIRST_YEAR} and {LAST_YEAR}", field
        )
    return value


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
    if re.search(r"\d\s*[kKmMbB万亿]$", cleaned):
        raise InputError(
            f"{field}: {text.strip()!r} is shorthand; write the full amount (e.g. 1,200.00)", field
        )
    if not _AMOUNT.match(cleaned):
        raise InputError(f"{field}: {text.strip()!r} is not an amount (try 12,500.00)", field)
    whole, _, fraction = cleaned.replace(",", "").partition(".")
    if len(fraction) > 2:
        raise InputError(f"{field}: {text.strip()!r} has more than two decimals", field)
    minor = int(whole or "0") * 100 + int((fraction + "00")[:2])
    return -minor if negative else minor
