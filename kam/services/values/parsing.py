"""Reading what people type: dates and amounts, with messages that say what was wrong."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil import parser as date_parser
from dateutil.relativedelta import relativedelta

from kam.errors import InputError

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YEAR_FIRST = re.compile(r"^\d{4}[-/.年]")
FIRST_YEAR, LAST_YEAR = 1900, 2200  # outside these, a date is a typing mistake


DATE_HINT = "2026-03-05, today, +2w, next monday, end of month"


def parse_date(
    text: str, field: str = "date", *, dayfirst: bool = False, as_of: date | None = None
) -> date:
    """Any date dateutil reads (2026-03-05, 5 Mar 2026, 2026/3/5), as a calendar date; with
    `today`, also the words people type in a form (`tomorrow`, `+2w`, `next monday`)."""
    cleaned = (text or "").strip()
    if not cleaned:
        raise InputError(f"{field}: a date is required", field)
    if as_of is not None:
        relative = relative_date(cleaned, as_of)
        if relative is not None:
            return _plausible(relative, cleaned, field)
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


_WEEKDAYS = {
    name: number
    for number, names in enumerate(
        (
            ("monday", "mon"),
            ("tuesday", "tue", "tues"),
            ("wednesday", "wed"),
            ("thursday", "thu", "thur", "thurs"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        )
    )
    for name in names
}
_OFFSET = re.compile(r"^([+-])\s*(\d{1,4})\s*(d|w|m|y)$")
_IN = re.compile(r"^in\s+(\d{1,4})\s+(day|week|month|year)s?$")
_UNITS = {"d": "days", "w": "weeks", "m": "months", "y": "years"}


def relative_date(text: str, as_of: date) -> date | None:
    """`today`, `tomorrow`, `yesterday`, `+3d` / `-1w` / `+2m` / `+1y`, `in 3 days`,
    `monday` (the next one, today included), `next monday` (after today), `next week` (its
    Monday), `next month` (its first day), `end of month` / `end of next month` / `end of
    quarter` / `end of year`; None when the text is none of these."""
    words = " ".join(text.lower().split())
    fixed = {"today": 0, "tomorrow": 1, "yesterday": -1}
    if words in fixed:
        return as_of + timedelta(days=fixed[words])
    match = _OFFSET.match(words)
    if match:
        sign = 1 if match.group(1) == "+" else -1
        return as_of + relativedelta(**{_UNITS[match.group(3)]: sign * int(match.group(2))})
    match = _IN.match(words)
    if match:
        return as_of + relativedelta(**{match.group(2) + "s": int(match.group(1))})
    if words in _WEEKDAYS:
        return as_of + timedelta(days=(_WEEKDAYS[words] - as_of.weekday()) % 7)
    if words.startswith("next ") and words[5:] in _WEEKDAYS:
        return as_of + timedelta(days=(_WEEKDAYS[words[5:]] - as_of.weekday() - 1) % 7 + 1)
    if words == "next week":
        return as_of + timedelta(days=7 - as_of.weekday())
    if words == "next month":
        return as_of.replace(day=1) + relativedelta(months=1)
    ends = {
        "end of month": 0,
        "eom": 0,
        "end of next month": 1,
    }
    if words in ends:
        return as_of.replace(day=1) + relativedelta(months=ends[words] + 1, days=-1)
    if words in ("end of quarter", "eoq"):
        first = date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
        return first + relativedelta(months=3, days=-1)
    if words in ("end of year", "eoy"):
        return date(as_of.year, 12, 31)
    return None


# One @, something before it, and a domain with a dot that neither starts nor ends it:
# `dana@example` is a typing mistake, not an address.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+$")


def is_email(text: str) -> bool:
    return bool(_EMAIL.match(text))


def _plausible(value: date, text: str, field: str) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise InputError(
            f"{field}: {text!r} is not a date between {FIRST_YEAR} and {LAST_YEAR}", field
        )
    return value


# An amount's figures in the two ways spreadsheets write them: 1,234.50 (a decimal point)
# and 1.234,50 (a decimal comma, as in most of Europe).
_POINT = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^\d+(?:\.\d+)?$|^\.\d+$")
_COMMA = re.compile(r"^\d{1,3}(?:\.\d{3})+(?:,\d+)?$|^\d+(?:,\d+)?$|^,\d+$")
# The currency an amount may carry before or after its figures, as the code kam says it in.
CURRENCY_SIGNS = {"¥": "CNY", "￥": "CNY", "元": "CNY", "$": "USD", "US$": "USD", "€": "EUR",
                  "£": "GBP"}  # fmt: skip
CURRENCY_CODES = (
    "USD EUR CNY RMB GBP JPY HKD CHF SEK NOK DKK PLN CZK HUF CAD AUD NZD SGD KRW INR BRL MXN "
    "ZAR TRY RUB TWD THB MYR IDR PHP VND AED SAR ILS"
).split()
_SIGN = "|".join(re.escape(s) for s in sorted(CURRENCY_SIGNS, key=len, reverse=True))
_CODE = "|".join(CURRENCY_CODES)
_LEADING = re.compile(rf"^(?:({_CODE})(?![A-Za-z])|({_SIGN}))\s*", re.IGNORECASE)
_TRAILING = re.compile(rf"\s*(?:(?<![A-Za-z])({_CODE})|({_SIGN}))$", re.IGNORECASE)
_MINUS = "-\u2212"  # a hyphen, or the minus sign


@dataclass(frozen=True, slots=True)
class AmountText:
    """What a typed amount says besides its figures."""

    figures: str  # digits with their separators
    negative: bool
    currency: str | None  # USD, CNY, ... when the amount named one

    @property
    def decimal_comma(self) -> bool | None:
        """True for 1.234,50 or 100,00; False for 1,234.50 or 1,234; None for 1200."""
        text = self.figures
        comma, point = text.rfind(","), text.rfind(".")
        if comma < 0:  # the common cases without a pattern: 1200, 12.5, 1200.50
            if point < 0:
                return None
            if point == text.find(".") and len(text) - point - 1 in (1, 2):
                return False
        if comma >= 0 and point >= 0:
            return comma > point
        # One mark: grouping (three figures after each) or decimals (one or two after).
        for mark, is_comma in ((",", True), (".", False)):
            if mark in text:
                if re.fullmatch(rf"\d{{1,3}}(?:\{mark}\d{{3}})+", text):
                    return not is_comma
                if re.fullmatch(rf"\d*\{mark}\d{{1,2}}", text):
                    return is_comma
        return None


def _currency(match: re.Match[str]) -> str:
    code, sign = match.group(1), match.group(2)
    if code:
        return "CNY" if code.upper() == "RMB" else code.upper()
    return CURRENCY_SIGNS[sign.upper()]


def split_amount(text: str) -> AmountText:
    """An amount's figures, sign and currency: `-¥200`, `¥-200`, `(1,234.00)`, `1,234.50元`,
    `USD 1,200.00`, `RMB 300`, `300-` (a minus after, as ledgers print it)."""
    cleaned = (text or "").strip()
    if cleaned[:1].isdigit() and cleaned[-1:].isdigit() and " " not in cleaned:
        return AmountText(cleaned.replace("\u00a0", "").replace("\u202f", ""), False, None)
    cleaned = " ".join(cleaned.split())
    negative = False
    currency = None
    if cleaned.startswith("(") and cleaned.endswith(")"):
        negative, cleaned = True, cleaned[1:-1].strip()
    if cleaned[:1] in _MINUS:
        negative, cleaned = not negative, cleaned[1:].strip()
    match = _LEADING.match(cleaned)
    if match:
        currency, cleaned = _currency(match), cleaned[match.end() :]
    match = _TRAILING.search(cleaned)
    if match and currency is None:
        currency, cleaned = _currency(match), cleaned[: match.start()]
    if cleaned[:1] in _MINUS:
        negative, cleaned = not negative, cleaned[1:].strip()
    elif cleaned[-1:] in _MINUS and len(cleaned) > 1:
        negative, cleaned = not negative, cleaned[:-1].strip()
    figures = cleaned.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    return AmountText(figures, negative, currency)


# The largest amount one figure may hold, in minor units: 100 billion in the reporting
# currency. Sums are 64-bit integers in the database (SQLite stops every report on an
# overflow); at this bound it takes 900,000 such figures in one sum to reach the limit.
MAX_AMOUNT_MINOR = 10**13
SUM_LIMIT_MINOR = 2**63 - 1


def parse_amount(
    text: str,
    field: str = "amount",
    *,
    limit: int = MAX_AMOUNT_MINOR,
    decimal_comma: bool | None = None,
) -> int:
    """An amount of money as minor units (cents): `12500`, `12,500.50`, `¥1,234.50`,
    `USD 1,200.00`, `1,234.50元`, a minus (before or after) or accounting brackets for
    negatives. `decimal_comma` reads `1.234,50`; None takes it from the amount itself when it
    holds both marks. Shorthand such as `1.2k` is refused rather than guessed; more than two
    decimals are refused rather than rounded; more than `limit` (either way) is refused as a
    typing mistake."""
    if not (text or "").strip():
        raise InputError(f"{field}: an amount is required", field)
    amount = split_amount(text)
    cleaned = amount.figures
    if re.search(r"\d\s*[kKmMbB万亿]$", cleaned):
        raise InputError(
            f"{field}: {text.strip()!r} is shorthand; write the full amount (e.g. 1,200.00)", field
        )
    if decimal_comma is None:
        decimal_comma = (
            "," in cleaned and "." in cleaned and cleaned.rfind(",") > cleaned.rfind(".")
        )
    if not (_COMMA if decimal_comma else _POINT).match(cleaned):
        hint = "12.500,00" if decimal_comma else "12,500.00"
        raise InputError(f"{field}: {text.strip()!r} is not an amount (try {hint})", field)
    grouping, mark = (".", ",") if decimal_comma else (",", ".")
    whole, _, fraction = cleaned.replace(grouping, "").partition(mark)
    if len(fraction) > 2:
        raise InputError(f"{field}: {text.strip()!r} has more than two decimals", field)
    if len(whole.lstrip("0")) > len(str(limit // 100)):  # before int() of 30 digits
        raise InputError(f"{field}: {text.strip()!r} is more than {limit // 100:,}", field)
    minor = int(whole or "0") * 100 + int((fraction + "00")[:2])
    if minor > limit:
        raise InputError(f"{field}: {text.strip()!r} is more than {limit // 100:,}", field)
    return -minor if amount.negative else minor
