"""Cadences of planned contact: what people type, the iCalendar rule kept, and the dates.

A cadence is typed in words ("every 2 weeks", "quarterly", "first Monday of the month",
"yearly on 24 Dec") or as an iCalendar RRULE ("FREQ=MONTHLY;BYDAY=1MO"); it is stored as
the RRULE, anchored at a start date. An empty cadence is a one-off. Dates are calendar dates:
rules are expanded on naive midnights, so no time zone or daylight-saving change can move a
due date by a day.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from dateutil import parser as date_parser
from dateutil import rrule

from kam.errors import InputError

_UNITS = {"day": "DAILY", "week": "WEEKLY", "month": "MONTHLY", "year": "YEARLY"}
_WORDS = {
    "daily": "FREQ=DAILY",
    "weekly": "FREQ=WEEKLY",
    "fortnightly": "FREQ=WEEKLY;INTERVAL=2",
    "biweekly": "FREQ=WEEKLY;INTERVAL=2",
    "monthly": "FREQ=MONTHLY",
    "bimonthly": "FREQ=MONTHLY;INTERVAL=2",
    "quarterly": "FREQ=MONTHLY;INTERVAL=3",
    "half-yearly": "FREQ=MONTHLY;INTERVAL=6",
    "half yearly": "FREQ=MONTHLY;INTERVAL=6",
    "semiannually": "FREQ=MONTHLY;INTERVAL=6",
    "yearly": "FREQ=YEARLY",
    "annually": "FREQ=YEARLY",
}
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
_DAYS = {
    name: code
    for code, names in (
        ("MO", ("monday", "mon")),
        ("TU", ("tuesday", "tue")),
        ("WE", ("wednesday", "wed")),
        ("TH", ("thursday", "thu")),
        ("FR", ("friday", "fri")),
        ("SA", ("saturday", "sat")),
        ("SU", ("sunday", "sun")),
    )
    for name in names
}
_EVERY = re.compile(r"^every (\d+) (day|week|month|year)s?$")
_NTH = re.compile(
    r"^(first|second|third|fourth|last) (\w+) of (?:the|each|every) (?:(\d+) )?months?$"
)
_YEARLY_ON = re.compile(r"^(?:yearly|annually|every year) on (.+)$")
MAX_RULE = 300


def parse_cadence(text: str) -> str:
    """The RRULE for a typed cadence ('' for a one-off); InputError says what is wrong."""
    cleaned = " ".join((text or "").strip().lower().split())
    if not cleaned or cleaned in {"once", "one-off", "one off"}:
        return ""
    if "freq=" in cleaned:
        rule = cleaned.upper().removeprefix("RRULE:")
        _check_rule(rule, text)
        return rule
    if cleaned in _WORDS:
        return _WORDS[cleaned]
    if cleaned.startswith("every ") and cleaned[6:] in _UNITS:
        return f"FREQ={_UNITS[cleaned[6:]]}"
    if m := _EVERY.match(cleaned):
        n = int(m.group(1))
        if not 1 <= n <= 999:
            raise InputError(f"{text!r}: the interval must be from 1 to 999", "cadence")
        return f"FREQ={_UNITS[m.group(2)]}" + (f";INTERVAL={n}" if n > 1 else "")
    if m := _NTH.match(cleaned):
        day = _DAYS.get(m.group(2))
        if day is None:
            raise InputError(f"{text!r}: {m.group(2)!r} is not a day of the week", "cadence")
        months = int(m.group(3) or 1)
        rule = f"FREQ=MONTHLY;BYDAY={_ORDINALS[m.group(1)]}{day}"
        return rule + (f";INTERVAL={months}" if months > 1 else "")
    if m := _YEARLY_ON.match(cleaned):
        try:
            day = date_parser.parse(m.group(1), default=datetime(2000, 1, 1)).date()
        except (ValueError, OverflowError):
            raise InputError(
                f"{text!r}: {m.group(1)!r} is not a day of the year", "cadence"
            ) from None
        return f"FREQ=YEARLY;BYMONTH={day.month};BYMONTHDAY={day.day}"
    raise InputError(
        f"{text!r} is not a cadence (try: every 2 weeks, monthly, quarterly, "
        "first Monday of the month, yearly on 24 Dec, or an RRULE)",
        "cadence",
    )


def _check_rule(rule: str, typed: str) -> None:
    if len(rule) > MAX_RULE:
        raise InputError(f"a rule is at most {MAX_RULE} characters", "cadence")
    if "COUNT=" in rule or "UNTIL=" in rule:
        raise InputError("a cadence repeats without end: leave out COUNT and UNTIL", "cadence")
    if any(f"FREQ={unit}" in rule for unit in ("HOURLY", "MINUTELY", "SECONDLY")):
        raise InputError("a cadence is at most daily", "cadence")
    try:
        parsed = rrule.rrulestr(rule, dtstart=datetime(2026, 1, 1))
        first = parsed.after(datetime(2026, 1, 1), inc=True)
    except (ValueError, TypeError, KeyError, IndexError):
        raise InputError(f"{typed.strip()!r} is not a valid iCalendar rule", "cadence") from None
    if first is None:
        raise InputError(f"{typed.strip()!r} never happens", "cadence")


def effective_rule(rule: str, start: date) -> str:
    """The rule as it is expanded. A plain monthly or yearly cadence anchored on a day some
    months lack (the 29th to 31st, or 29 February) falls on the last day of the shorter
    months rather than skipping them, as RFC 5545 would."""
    parts = dict(p.split("=", 1) for p in rule.split(";") if "=" in p)
    if set(parts) - {"FREQ", "INTERVAL"}:
        return rule
    if parts.get("FREQ") == "MONTHLY" and start.day == 31:
        return f"{rule};BYMONTHDAY=-1"  # the month's end, however long the month
    if parts.get("FREQ") == "MONTHLY" and start.day > 28:
        days = ",".join(str(d) for d in range(28, start.day + 1))
        return f"{rule};BYMONTHDAY={days};BYSETPOS=-1"
    if parts.get("FREQ") == "YEARLY" and (start.month, start.day) == (2, 29):
        return f"{rule};BYMONTH=2;BYMONTHDAY=-1"
    return rule


def _rule(rule: str, start: date) -> rrule.rrule:
    return rrule.rrulestr(
        effective_rule(rule, start), dtstart=datetime.combine(start, datetime.min.time())
    )


def next_after(rule: str, start: date, after: date) -> date | None:
    """The first date of the cadence (anchored at `start`) later than `after`; None for a
    one-off."""
    if not rule:
        return None
    found = _rule(rule, start).after(datetime.combine(after, datetime.min.time()), inc=False)
    return found.date() if found is not None else None


def first_on_or_after(rule: str, start: date, day: date) -> date | None:
    if not rule:
        return None
    found = _rule(rule, start).after(datetime.combine(day, datetime.min.time()), inc=True)
    return found.date() if found is not None else None


def dates_between(rule: str, start: date, first: date, last: date) -> list[date]:
    """Every date of the cadence from `first` to `last`, both included."""
    if not rule:
        return []
    return [
        d.date()
        for d in _rule(rule, start).between(
            datetime.combine(first, datetime.min.time()),
            datetime.combine(last, datetime.min.time()),
            inc=True,
        )
    ]


def typical_gap(rule: str) -> timedelta | None:
    """About how long between two dates of the cadence (for how long silence may last)."""
    if not rule:
        return None
    dates = dates_between(rule, date(2026, 1, 1), date(2026, 1, 1), date(2030, 12, 31))[:3]
    if len(dates) < 2:
        return None
    return dates[1] - dates[0]


_FREQ_WORDS = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}
_CODES = {code: name for name, code in _DAYS.items() if len(name) > 3}
_NTH_WORDS = {v: k for k, v in _ORDINALS.items()}


def describe(rule: str) -> str:
    """A rule in words, for lists and cards."""
    if not rule:
        return "once"
    parts = dict(p.split("=", 1) for p in rule.split(";") if "=" in p)
    unit = _FREQ_WORDS.get(parts.get("FREQ", ""), "")
    interval = int(parts.get("INTERVAL", "1") or 1)
    if not unit:
        return rule
    if unit == "month" and interval == 3 and len(parts) == 2:
        return "quarterly"
    every = f"every {interval} {unit}s" if interval > 1 else f"every {unit}"
    if "BYDAY" in parts and unit == "month":
        m = re.match(r"^([+-]?\d)?([A-Z]{2})$", parts["BYDAY"])
        if m:
            nth = _NTH_WORDS.get(int(m.group(1) or 1), m.group(1))
            day = _CODES.get(m.group(2), m.group(2)).capitalize()
            return f"{nth} {day} of the month" if interval == 1 else f"{nth} {day} of {every}"
    if unit == "year" and "BYMONTH" in parts and "BYMONTHDAY" in parts:
        on = date(2000, int(parts["BYMONTH"]), int(parts["BYMONTHDAY"]))
        return f"yearly on {on.day} {on:%b}"
    if set(parts) - {"FREQ", "INTERVAL"}:
        return rule
    return every
