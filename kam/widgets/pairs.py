"""Labels beside their values: the profile, standing and card panels.

It draws what a two-column Rich grid draws (dim labels that never wrap, a gap of two cells,
values wrapping under themselves), but lays each value out once: a grid measures every cell
before rendering it, and a panel is rendered for its height and again to paint, so opening an
account spent a good part of its time measuring these panels.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rich.console import Console, ConsoleOptions
from rich.measure import Measurement
from rich.segment import Segment
from rich.text import Text

from kam.services.values.formatting import cell_len

GAP = 2
BREAK_AFTER = "@./-_"  # where a word too long for its line is best broken: an e-mail, a URL


def _break_long_words(value: Text, width: int) -> Text:
    """`value` with line breaks after `@`, `.`, `/`, `-` or `_` in words wider than `width`,
    so `dana.lee@example.com` breaks as `dana.lee@` / `example.com`, not in the middle of a
    name; a word with no such place is left to be folded."""
    plain = value.plain
    cuts: list[int] = []
    for match in re.finditer(r"\S+", plain):
        start, end = match.span()
        while cell_len(plain[start:end]) > width:
            best, used = None, 0
            for i in range(start, end - 1):
                used += cell_len(plain[i])
                if used > width:
                    break
                if plain[i] in BREAK_AFTER:
                    best = i + 1
            if best is None:
                break
            cuts.append(best)
            start = best
    if not cuts:
        return value
    broken = Text(style=value.style, end=value.end)
    last = 0
    for cut in cuts:
        broken.append_text(value[last:cut])
        broken.append("\n")
        last = cut
    broken.append_text(value[last:])
    return broken


class Pairs:
    def __init__(self, label_style: str = "dim") -> None:
        self.label_style = label_style
        self.rows: list[tuple[str, Text]] = []

    def add_row(self, label: str, value: str | Text) -> None:
        self.rows.append((label, value if isinstance(value, Text) else Text(value)))

    def _label_width(self) -> int:
        return max((cell_len(label) for label, _ in self.rows), default=0)

    def _value_width(self) -> int:
        return max(
            (cell_len(line) for _, value in self.rows for line in value.plain.split("\n")),
            default=0,
        )

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        if not self.rows:
            return Measurement(0, 0)
        labels = self._label_width() + GAP
        longest_word = max(
            (cell_len(word) for _, value in self.rows for word in value.plain.split()),
            default=0,
        )
        return Measurement(labels + longest_word, labels + self._value_width()).with_maximum(
            options.max_width
        )

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        if not self.rows:
            return
        label_width = self._label_width()
        # The values' column is as wide as its widest line, or the room there is.
        width = max(1, min(options.max_width - label_width - GAP, self._value_width()))
        wrapped = [
            (label, _break_long_words(value, width).wrap(console, width, overflow="fold"))
            for label, value in self.rows
        ]
        label_style = console.get_style(self.label_style)
        blank = " " * (label_width + GAP)
        new_line = Segment.line()
        for label, lines in wrapped:
            for i, line in enumerate(lines):
                if i == 0:
                    yield Segment(label + " " * (label_width - cell_len(label)), label_style)
                    yield Segment(" " * GAP, label_style)
                else:
                    yield Segment(blank, label_style)
                line.pad_right(width - line.cell_len)
                # Text.render leaves a line's own style to the caller when it has no spans.
                base = console.get_style(line.style) if line.style else None
                yield from Segment.apply_style(line.render(console), base)
                yield new_line
