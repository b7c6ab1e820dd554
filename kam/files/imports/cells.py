"""Reading one cell of an import: text, numbers, amounts, dates, yes and no, and the stage and
status names other tools use for kam's words."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterator
from enum import StrEnum
from typing import Any

from kam.errors import InputError, KamError
from kam.files.tabular import unneutralise
from kam.models.enums import (
    AccountStatus,
    ActivityKind,
    OpportunityStage,
)
from kam.schema import ENTITIES, KINDS, Field
from kam.schema.fields import TEXT_KINDS
from kam.services.values import periods
from kam.services.values.parsing import is_email, parse_amount, parse_date, split_amount

SPECS: dict[str, tuple[Field, ...]] = {k: e.file_fields for k, e in ENTITIES.items()}
# A column that another can stand in for: a contact's name from its first and last names.
EITHER: dict[str, dict[str, tuple[str, ...]]] = {
    "contacts": {"name": ("name", "first_name", "last_name")}
}

# Stage and status names other tools and people use for kam's words.
_ENUM_ALIASES: dict[type[StrEnum], dict[str, str]] = {
    OpportunityStage: {
        # Salesforce's default sales process
        "valueproposition": "needs_analysis",
        "iddecisionmakers": "needs_analysis",
        "perceptionanalysis": "proposal",
        "proposalpricequote": "proposal",
        "negotiationreview": "negotiation",
        "closedwon": "won",
        "closedlost": "lost",
        # HubSpot's default deal pipeline (internal names and labels)
        "appointmentscheduled": "prospecting",
        "qualifiedtobuy": "qualification",
        "presentationscheduled": "needs_analysis",
        "decisionmakerboughtin": "proposal",
        "contractsent": "negotiation",
        # Chinese
        "初步接洽": "prospecting",
        "线索": "prospecting",
        "资格审查": "qualification",
        "需求确认": "qualification",
        "需求分析": "needs_analysis",
        "方案报价": "proposal",
        "报价": "proposal",
        "商务谈判": "negotiation",
        "谈判": "negotiation",
        "赢单": "won",
        "成交": "won",
        "输单": "lost",
        "丢单": "lost",
    },
    AccountStatus: {"活跃": "active", "沉默": "silent", "流失": "lost", "churned": "lost"},
    ActivityKind: {
        "meeting": "visit",
        "inperson": "visit",
        "onsite": "visit",
        "phone": "call",
        "phonecall": "call",
        "videocall": "call",
        "mail": "email",
        "qbr": "business_review",
        "拜访": "visit",
        "上门拜访": "visit",
        "会议": "visit",
        "电话": "call",
        "邮件": "email",
        "高层会谈": "executive_meeting",
        "业务回顾": "business_review",
    },
}

# The whole-number fields besides a deal's months: the most they hold, and what they are.
_WHOLE_NUMBERS = {"score": (10, "a score")}

_TRUE = {"yes", "y", "true", "1", "x", "✓", "是", "对"}
_FALSE = {"no", "n", "false", "0", "否", ""}


def norm(header: str) -> str:
    """A header or a word as compared: case, spaces and punctuation ignored."""
    text = unicodedata.normalize("NFKC", header).casefold()
    return re.sub(r"[\W_]+", "", text)


def check_kind(kind: str) -> None:
    if kind not in SPECS:
        raise KamError(f"cannot import {kind!r}: choose one of {', '.join(KINDS)}")


# --- reading cells --------------------------------------------------------------------------


class CellError(ValueError):
    """A cell that cannot be read; the message is the reason only."""


def _enum(text: str, enum: type[StrEnum]) -> StrEnum:
    key = norm(text)
    for member in enum:
        if norm(member.value) == key:
            return member
    alias = _ENUM_ALIASES.get(enum, {}).get(key)
    if alias is not None:
        return enum(alias)
    words = ", ".join(m.value.replace("_", " ") for m in enum)
    raise CellError(f"{text!r} is not one of: {words}")


def _percent(text: str) -> int:
    cleaned = text.strip().removesuffix("%").strip()
    try:
        value = float(cleaned)
    except ValueError:
        raise CellError(f"{text!r} is not a percentage from 0 to 100") from None
    if not 0 <= value <= 100:
        raise CellError(f"{text!r} is not a percentage from 0 to 100")
    return round(value)


# --- the order of day and month in a column of dates ----------------------------------------

# A date of numbers that does not start with its year: 05.03.2026, 3/5/26, 05-03-2026 10:00.
_NUMERIC_DATE = re.compile(r"\s*(\d{1,2})([./-])(\d{1,2})\2(?:\d{4}|\d{2})(?!\d)")
_ASK_ORDER = "say which with --dayfirst or --monthfirst (in the import screen: Dates)"


def _reading(text: str, dayfirst: bool) -> str:
    """How a person would say the date kam reads: `5 March 2026`."""
    match = _NUMERIC_DATE.match(text)
    assert match is not None
    first, second = int(match.group(1)), int(match.group(3))
    day, month = (first, second) if dayfirst else (second, first)
    names = ("January February March April May June July August September October November "
             "December").split()  # fmt: skip
    return f"{day} {names[month - 1]}" if 1 <= month <= 12 else text


def date_order(
    column: str, cells: Iterator[tuple[int, str]], given: bool | None
) -> tuple[bool, str]:
    """Whether the dates of one column are day first, decided once from all its values, and
    a line for the report saying how (blank when no date needed the choice). A column with
    both orders in it, or one that the option contradicts, is CellError; so is a column
    whose every date could be read either way (03/04/2026) when no option says which, except
    dates with dots (05.03.2026), which are day first wherever they are written."""
    day_first: tuple[int, str] | None = None  # the first value only day-first reads
    month_first: tuple[int, str] | None = None
    either: tuple[int, str] | None = None
    dots = True
    for line, raw in cells:
        text = unneutralise(raw.strip())
        if not text or text[:4].isdigit():
            continue
        match = _NUMERIC_DATE.match(text)
        if match is None:
            continue
        first, second = int(match.group(1)), int(match.group(3))
        if first > 12 >= second:
            day_first = day_first or (line, text)
        elif second > 12 >= first:
            month_first = month_first or (line, text)
        elif first != second:
            either = either or (line, text)
            dots = dots and match.group(2) == "."
    if day_first and month_first:
        raise CellError(
            f"holds day-first dates ({day_first[1]} on line {day_first[0]}) and month-first "
            f"ones ({month_first[1]} on line {month_first[0]}); which the others are cannot be "
            "told: make the column one or the other"
        )
    if given is not None:
        against = month_first if given else day_first
        if against:
            asked = "--dayfirst" if given else "--monthfirst"
            order = "month" if given else "day"
            raise CellError(
                f"{asked} was given, but {against[1]} on line {against[0]} is {order} first"
            )
        return given, ""
    if day_first or month_first:
        dayfirst = day_first is not None
        line, text = day_first or month_first  # type: ignore[misc]
        if either is None:
            return dayfirst, ""
        order = "day" if dayfirst else "month"
        return dayfirst, (
            f"column {column!r}: dates read {order} first ({text} on line {line} can only be "
            f"{_reading(text, dayfirst)}; so {either[1]} is {_reading(either[1], dayfirst)})"
        )
    if either is None:
        return False, ""
    if dots:
        return True, (
            f"column {column!r}: dates with dots read day first ({either[1]} is "
            f"{_reading(either[1], True)})"
        )
    raise CellError(
        f"every date in it could be read two ways ({either[1]} on line {either[0]}: "
        f"{_reading(either[1], True)} or {_reading(either[1], False)}); {_ASK_ORDER}"
    )


# --- the decimal mark and the currency of a column of amounts --------------------------------


def amount_style(column: str, cells: Iterator[tuple[int, str]]) -> tuple[bool, str]:
    """Whether the amounts of one column use a decimal comma (1.234,50) rather than a point
    (1,234.50), decided once from all its values, and a line for the report (blank when
    there is nothing to say). A column that holds both, or amounts in two currencies (kam
    keeps one and converts nothing), is CellError."""
    comma: tuple[int, str] | None = None
    point: tuple[int, str] | None = None
    currencies: dict[str, tuple[int, str]] = {}
    for line, raw in cells:
        text = unneutralise(raw.strip())
        if not text:
            continue
        amount = split_amount(text)
        if amount.currency and amount.currency not in currencies:
            currencies[amount.currency] = (line, text)
        style = amount.decimal_comma
        if style is True:
            comma = comma or (line, text)
        elif style is False:
            point = point or (line, text)
    if comma and point:
        raise CellError(
            f"holds amounts with a decimal comma ({comma[1]} on line {comma[0]}) and with a "
            f"decimal point ({point[1]} on line {point[0]}); make the column one or the other"
        )
    if len(currencies) > 1:
        (a, (line_a, text_a)), (b, (line_b, text_b)) = list(currencies.items())[:2]
        raise CellError(
            f"holds amounts in {a} ({text_a} on line {line_a}) and {b} ({text_b} on line "
            f"{line_b}); kam keeps one currency and converts nothing: import them apart"
        )
    notes = []
    if comma:
        notes.append(f"amounts read with a decimal comma ({comma[1]} on line {comma[0]})")
    if currencies:
        notes.append(f"amounts in {next(iter(currencies))}, kept as they are (not converted)")
    return comma is not None, f"column {column!r}: {'; '.join(notes)}" if notes else ""


def read_cell(
    spec: Field,
    text: str,
    dayfirst: bool = False,
    decimal_comma: bool = False,
    *,
    from_csv: bool = True,
) -> Any:
    """The typed value of one cell (None when blank), or CellError with the reason. A CSV
    cell loses the `'` export put before a formula character; a workbook's or JSON's holds
    its text as it is."""
    text = unneutralise(text.strip()) if from_csv else text.strip()
    if spec.kind == "long":
        return text
    if spec.kind == "flag":
        key = text.casefold()
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
        raise CellError(f"{text!r} is not yes or no")
    if not text:
        return None
    try:
        if spec.kind in (*TEXT_KINDS, "id", "ref"):
            value = " ".join(text.split())
            limit = spec.limit or 200
            if len(value) > limit:
                raise CellError(f"at most {limit} characters (this has {len(value)})")
            if spec.kind == "email" and not is_email(value):
                raise CellError(f"{value!r} is not an e-mail address")
            if spec.kind == "id":
                try:
                    return uuid.UUID(value)
                except ValueError:
                    raise CellError(f"{value!r} is not a kam id") from None
            return value
        if spec.kind == "enum":
            assert spec.enum is not None
            return _enum(text, spec.enum)
        if spec.kind == "date":
            return parse_date(text, spec.name, dayfirst=dayfirst)
        if spec.kind == "money":
            return parse_amount(text, spec.name, decimal_comma=decimal_comma)
        if spec.kind == "percent":
            return _percent(text)
        if spec.kind == "int":
            most, what = _WHOLE_NUMBERS.get(spec.name, (600, "a number of months"))
            if not text.isdigit() or int(text) > most:
                raise CellError(f"{text!r} is not {what} (0 to {most})")
            return int(text)
        if spec.kind == "period":
            return periods.parse_period(text, spec.name)
        if spec.kind == "growth":
            from kam.services.wallet.share_of_wallet import parse_growth

            return parse_growth(text, spec.name)
        if spec.kind == "competitors":
            from kam.services.wallet.share_of_wallet import parse_competitors

            return parse_competitors(text, spec.name)
    except InputError as exc:
        raise CellError(str(exc).removeprefix(f"{spec.name}: ")) from None
    raise AssertionError(spec.kind)
