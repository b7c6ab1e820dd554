"""The label/value panels draw exactly what a two-column Rich grid draws, whatever the width."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.measure import Measurement
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from kam.widgets.pairs import Pairs

ROWS = [
    ("Account", Text("Acme Steel", style="bold")),
    ("Notes", "met at the fair; wants a quote before the supercalifragilistic deadline"),
    ("Flags", "strategic\nemerging"),
    ("Empty", ""),
    ("负责人", Text.assemble(("◆ 钻石", "bold cyan"), " 北京华东精密机械有限公司 and friends")),
]


def grid_of(rows) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    for row in rows:
        grid.add_row(*row)
    return grid


def pairs_of(rows) -> Pairs:
    pairs = Pairs()
    for row in rows:
        pairs.add_row(*row)
    return pairs


def drawn(renderable, width: int) -> list[list[tuple[str, str]]]:
    """Each line as (text, style) runs, with runs of one style joined."""
    console = Console(width=width, color_system="truecolor")
    lines = []
    for line in Segment.split_lines(console.render(renderable, console.options)):
        runs: list[tuple[str, str]] = []
        for segment in line:
            style = str(segment.style or "none")
            if runs and runs[-1][1] == style:
                runs[-1] = (runs[-1][0] + segment.text, style)
            elif segment.text:
                runs.append((segment.text, style))
        lines.append(runs)
    return lines


@pytest.mark.parametrize("width", [14, 30, 47, 80, 160])
@pytest.mark.parametrize(
    "rows", [ROWS, ROWS[:1], ROWS[2:4], ROWS[3:4]], ids=["all", "one", "short", "blank"]
)
def test_pairs_draw_what_a_grid_draws(width: int, rows) -> None:
    assert drawn(pairs_of(rows), width) == drawn(grid_of(rows), width)
    console = Console(width=width)
    options = console.options
    assert Measurement.get(console, options, pairs_of(rows)) == Measurement.get(
        console, options, grid_of(rows)
    )


def test_no_rows_draw_nothing() -> None:
    assert drawn(Pairs(), 40) == []


def test_a_long_e_mail_breaks_after_its_at_sign_not_inside_a_name() -> None:
    import io

    from rich.console import Console

    from kam.widgets.pairs import Pairs

    pairs = Pairs()
    pairs.add_row("E-mail", "felix.walsh0@example.com")
    console = Console(width=22, file=io.StringIO(), record=True)
    console.print(pairs)
    lines = [line.rstrip() for line in console.export_text().splitlines()]
    assert lines == ["E-mail  felix.walsh0@", "        example.com"]
