"""Values as people type and read them: amounts, dates, and text cut to its cells."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import pytest

from kam.errors import InputError
from kam.services.values.parsing import MAX_AMOUNT_MINOR, parse_amount, parse_date, relative_date
from tests.support import (
    MONDAY,
)


def test_cell_width_agrees_with_rich_for_every_character_it_counts_itself() -> None:
    """The fast count (ASCII, Latin-1, punctuation, arrows, box drawing, CJK) gives the cells
    a terminal uses, as Rich measures them; anything else is left to Rich."""
    from rich.cells import cell_len as rich_cell_len

    from kam.services.values.formatting import _NARROW, _WIDE, cell_len

    assigned = [chr(c) for c in range(0x20, 0x10000) if unicodedata.category(chr(c)) != "Cn"]
    narrow = [c for c in assigned if re.fullmatch(_NARROW, c)]
    assert "…" in narrow and "→" in narrow and "é" in narrow
    wide = [c for c in assigned if _WIDE.fullmatch(c)]
    assert "北" in wide and "〪" not in wide  # a combining mark among the ideographs
    for text in [*narrow, *wide, "北京 → Ünïcode…", "✅ done", "e\u0301"]:
        assert cell_len(text) == rich_cell_len(text), repr(text)


@pytest.mark.parametrize(
    "text",
    [
        "revenue -43% in 12 months, year on year (133.7k → 75.9k); no contact for 70 days",
        "plain ASCII that is far too long for its column",
        "北京腾飞食品股份有限公司 → Ünïcode, and then some more",
        "e\u0301e\u0301e\u0301 combining marks, far too long for the column",
        "short",
    ],
)
@pytest.mark.parametrize("width", [1, 2, 9, 10, 21])
def test_a_cell_is_cut_or_padded_to_its_width_as_rich_would(text: str, width: int) -> None:
    """Cells are cut to the exact width with an ellipsis (text of one cell a character by
    slicing, the rest by Rich's own cut) and padded on the side asked."""
    from rich.cells import cell_len as rich_cell_len
    from rich.cells import set_cell_size

    from kam.services.values.formatting import fit

    for right in (False, True):
        cut = fit(text, width, right=right)
        assert rich_cell_len(cut) == width, (cut, width)
        if rich_cell_len(text) > width:
            expected = set_cell_size(text, width - 1) + "…" if width > 1 else set_cell_size(text, 1)
            assert cut == expected
        else:
            padding = " " * (width - rich_cell_len(text))
            assert cut == (padding + text if right else text + padding)


@pytest.mark.parametrize(
    ("width", "expected"),
    [
        (30, "▸ Gringotts 集团 Inc (12)" + " " * 5),  # fits: padded, the mark gone
        (16, "▸ Gringott… (12)"),  # the name is cut, the count kept
        (15, "▸ Gringot… (12)"),
        (6, "▸ Gri…"),  # no room for the count beside a name: cut as a whole
    ],
)
def test_a_cut_cell_keeps_what_follows_the_keep_end_mark(width: int, expected: str) -> None:
    from rich.cells import cell_len

    from kam.services.values.formatting import KEEP_END, fit

    cut = fit(f"▸ Gringotts 集团 Inc{KEEP_END} (12)", width)
    assert cut == expected
    assert cell_len(cut) == width


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", "2026-11-23"),
        ("Tomorrow", "2026-11-24"),
        ("yesterday", "2026-11-22"),
        ("+3d", "2026-11-26"),
        ("+2w", "2026-12-07"),
        ("-1w", "2026-11-16"),
        ("+1m", "2026-12-23"),
        ("+1y", "2027-11-23"),
        ("in 10 days", "2026-12-03"),
        ("monday", "2026-11-23"),  # today is a Monday: the next one is today
        ("next monday", "2026-11-30"),  # after today
        ("next fri", "2026-11-27"),
        ("next week", "2026-11-30"),
        ("next month", "2026-12-01"),
        ("end of month", "2026-11-30"),
        ("end of next month", "2026-12-31"),
        ("end of quarter", "2026-12-31"),
        ("end of year", "2026-12-31"),
    ],
)
def test_relative_dates(text: str, expected: str) -> None:
    assert relative_date(text, MONDAY) == date.fromisoformat(expected)
    assert parse_date(text, as_of=MONDAY) == date.fromisoformat(expected)


def test_relative_words_need_a_reference_date_and_nonsense_is_still_refused() -> None:
    assert relative_date("next blursday", MONDAY) is None
    assert parse_date("2026-03-05", as_of=MONDAY) == date(2026, 3, 5)  # the usual forms still
    with pytest.raises(Exception, match="not a date"):
        parse_date("soonish", as_of=MONDAY)


def test_amounts_are_bounded_at_input() -> None:
    assert parse_amount("100,000,000,000.00") == MAX_AMOUNT_MINOR
    for text in ("100,000,000,000.01", "123456789012345678901234567890", "-9" * 1 + "9" * 20):
        with pytest.raises(InputError, match="is more than 100,000,000,000"):
            parse_amount(text)
    for text in ("1e400", "NaN", "inf", "1.2k"):
        with pytest.raises(InputError):
            parse_amount(text)
