"""Plain-text rendering shared by the CLI and the screens: money, shares, fixed-width cells
that keep columns aligned with wide (Chinese) characters."""

from __future__ import annotations

import re
from typing import Any

from rich.cells import cell_len as _rich_cell_len
from rich.cells import set_cell_size

# East Asian wide and full-width ranges (CJK, kana, Hangul, full-width forms), less the
# combining marks, the Hangul filler and the circled numbers inside them.
_WIDE = re.compile(
    "[\u1100-\u115f\u2e80-\u3029\u3030-\u303e\u3041-\u3098\u309b-\u3163\u3165-\u3247"
    "\u3250-\u33ff\u3400-\u4dbf\u4e00-\u9fff"
    "\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6"
    "\U00020000-\U0003fffd]"
)
# Narrow (one cell) beyond ASCII, as reports use them: Latin-1 letters and signs, dashes,
# quotes, ellipsis, arrows, box drawing.
_NARROW = "[\u00a1-\u00ff\u2010-\u2027\u2030-\u205e\u2190-\u21ff\u2500-\u257f]"
_PLAIN_WIDE = re.compile(f"^(?:[\\x20-\\x7e]|{_NARROW}|{_WIDE.pattern})*$")


# Control characters but the line break and the tab: C0, DEL and C1 (ESC starts the
# sequences that recolour, move or retitle a terminal).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def words(value: Any) -> str:
    """An enum value (or a key) as words: `decision_maker` -> `decision maker`."""
    return str(getattr(value, "value", value) or "").replace("_", " ")


def terminal_safe(text: str) -> str:
    """`text` with control characters written as escapes (`\\x1b`), so a header or a file
    name from someone else's file cannot drive the terminal it is printed on."""
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def cell_len(text: str) -> int:
    """Terminal cells `text` takes: wide characters count twice. A regex count for the
    common cases (ASCII, Latin-1, punctuation, arrows and CJK), Rich's table for anything else
    (emoji, combining marks)."""
    if text.isascii():
        return len(text)
    if _PLAIN_WIDE.match(text):
        return len(text) + len(_WIDE.findall(text))
    return _rich_cell_len(text)


def money(minor: int) -> str:
    """Whole units with thousands separators, rounded half up, exactly (no floats)."""
    if minor >= 0:
        return f"{(minor + 50) // 100:,}"
    return f"-{(50 - minor) // 100:,}"


def money_short(minor: int) -> str:
    """Compact money for tiles and narrow panels: 950, 12.3k, 4.5M, 1.2B."""
    units = minor / 100
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(units) >= limit:
            return f"{units / limit:.1f}{suffix}"
    return f"{units:.0f}"


def money_exact(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    whole, cents = divmod(abs(minor), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def percent(fraction: float | None, digits: int = 1) -> str:
    return "" if fraction is None else f"{fraction * 100:.{digits}f}%"


# In a cell's text, what follows this mark is kept whole when the cell is cut (a group's
# member count after its name): the text before it is cut instead.
KEEP_END = "\u2063"


def fit(text: str, width: int, *, right: bool = False) -> str:
    """Pad or cut `text` to exactly `width` terminal cells; cut text ends with an ellipsis,
    before the part after `KEEP_END` when there is one."""
    if KEEP_END in text:
        head, _, tail = text.partition(KEEP_END)
        room = width - cell_len(tail)
        if cell_len(head) > room >= 2:
            return fit(head, room) + tail
        text = head + tail
    length = cell_len(text)
    if length > width:
        if length == len(text) and (text.isascii() or _PLAIN_WIDE.match(text)):
            # One cell a character (ASCII, accents, arrows): cut by slicing.
            return text[: width - 1] + "…" if width > 1 else text[:width]
        return set_cell_size(text, width - 1) + "…" if width > 1 else set_cell_size(text, width)
    padding = " " * (width - length)
    return padding + text if right else text + padding


def _column_width(cells: list[str]) -> int:
    if not cells:
        return 0
    if "".join(cells).isascii():
        return max(map(len, cells))
    return max(map(cell_len, cells))


def text_table(
    headers: list[str], rows: list[list[str]], right: set[int], max_width: int = 40
) -> str:
    """A plain aligned table, fast enough for 100k rows: each line is one str.format, with
    only the cells that hold wide characters or need cutting padded by hand."""
    natural = [
        max(cell_len(h), _column_width([row[i] for row in rows])) for i, h in enumerate(headers)
    ]
    widths = [min(w, max_width) for w in natural]
    capped = [i for i, w in enumerate(natural) if w > max_width]
    aligns = [i in right for i in range(len(headers))]
    formats: dict[tuple[int, ...], object] = {}
    fast = "  ".join(f"{{:{'>' if aligns[i] else '<'}{w}}}" for i, w in enumerate(widths)).format

    def line_format(by_hand: tuple[int, ...]):
        fmt = formats.get(by_hand)
        if fmt is None:
            fmt = formats[by_hand] = "  ".join(
                "{}" if i in by_hand else f"{{:{'>' if aligns[i] else '<'}{w}}}"
                for i, w in enumerate(widths)
            ).format
        return fmt

    capped_set = set(capped)

    def line(cells: list[str]) -> str:
        if "".join(cells).isascii() and all(len(cells[i]) <= widths[i] for i in capped):
            return fast(*cells).rstrip()
        fixed = list(cells)
        by_hand = []
        for i, cell in enumerate(cells):
            if not cell.isascii() or (i in capped_set and len(cell) > widths[i]):
                fixed[i] = fit(cell, widths[i], right=aligns[i])
                by_hand.append(i)
        return line_format(tuple(by_hand))(*fixed).rstrip()

    out = [line(headers), "  ".join("-" * w for w in widths)]
    out.extend(line(row) for row in rows)
    return "\n".join(out) + "\n"
