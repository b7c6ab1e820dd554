"""The import dialog on the Accounts screen: preview first, then all of the file or none."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa
from textual.widgets import Button, Checkbox, Input, Static

from kam.app import KamApp
from kam.db import open_database
from kam.models import Account
from kam.screens.importing import ImportScreen
from kam.widgets.lazy_table import LazyTable
from tests.support import TODAY, settle


def accounts_in(path: Path) -> list[str]:
    database = open_database(f"sqlite:///{path}")
    with database.read() as session:
        found = sorted(session.exec(sa.select(Account.name)).scalars())
    database.dispose()
    return found


async def open_import(pilot) -> None:
    """The accounts screen's import dialog."""
    await pilot.press("2")
    await settle(pilot)
    await pilot.press("i")
    await settle(pilot)


def screen_text(app: KamApp) -> str:
    return str(app.screen.query_one("#import-report", Static).render())


async def test_import_from_the_accounts_screen_previews_then_imports(tmp_path: Path) -> None:
    db = tmp_path / "kam.db"
    bad = tmp_path / "bad.csv"
    bad.write_text("客户名称,年收入\n北京远航科技,12abc\n上海华东,100\n")
    good = tmp_path / "good.csv"
    good.write_text('客户名称,年收入\n北京远航科技,"1,200"\n上海华东,100\n')
    app = KamApp(open_database(f"sqlite:///{db}"), as_of=TODAY, user="Ann Lee")
    async with app.run_test(size=(110, 36)) as pilot:
        await open_import(pilot)
        assert isinstance(app.screen, ImportScreen)
        run_button = app.screen.query_one("#import-run", Button)

        app.screen.query_one("#import-path", Input).value = str(bad)
        await pilot.press("enter")
        await settle(pilot)
        assert "bad.csv:2: column '年收入': '12abc' is not an amount" in screen_text(app)
        assert run_button.disabled
        await pilot.press("ctrl+s")  # refused: the preview found problems
        await settle(pilot)
        assert isinstance(app.screen, ImportScreen)
        assert accounts_in(db) == []

        app.screen.query_one("#import-path", Input).value = str(good)
        await pilot.press("enter")
        await settle(pilot)
        assert "would create 2" in screen_text(app)
        assert not run_button.disabled
        app.screen.query_one("#import-path", Input).value = str(bad)  # changed: preview again
        await pilot.pause()
        assert run_button.disabled
        app.screen.query_one("#import-path", Input).value = str(good)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, ImportScreen)
        table = app.screen.query_one(LazyTable)
        await settle(pilot)
        assert table.row_count == 2
    assert accounts_in(db) == ["上海华东", "北京远航科技"]


async def test_dates_whose_order_the_file_cannot_tell_are_read_as_chosen(tmp_path: Path) -> None:
    from textual.widgets import Select

    from kam.services.accounts.account_edit import create_account
    from tests.support import build

    db = build(tmp_path / "kam.db", lambda session: create_account(session, "Acme"))
    ledger = tmp_path / "ledger.csv"
    ledger.write_text("account,date,amount,category\nAcme,05/03/2026,100,Parts\n")
    app = KamApp(open_database(f"sqlite:///{db}"), as_of=TODAY, user="Ann Lee")
    async with app.run_test(size=(110, 36)) as pilot:
        await open_import(pilot)
        screen = app.screen
        screen.query_one("#import-kind", Select).value = "revenue"
        screen.query_one("#import-path", Input).value = str(ledger)
        await pilot.press("enter")
        await settle(pilot)
        assert "could be read two ways (05/03/2026 on line 2: 5 March or 3 May)" in screen_text(app)
        screen.query_one("#import-dates", Select).value = "month"
        await screen.query_one("#import-path", Input).action_submit()
        await settle(pilot)
        assert "would create 1" in screen_text(app)
        ledger.write_text(
            "account,date,amount,category\nAcme,05/03/2026,100,Parts\nZeta 株式会社,05/03/2026,1,X\n"
        )
        await screen.query_one("#import-path", Input).action_submit()
        await settle(pilot)
        assert "no account is named 'Zeta 株式会社'" in screen_text(app)
        screen.query_one("#import-create", Checkbox).value = True
        await screen.query_one("#import-path", Input).action_submit()
        await settle(pilot)
        assert "new accounts to create (1): Zeta 株式会社" in screen_text(app)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, ImportScreen)
    database = open_database(f"sqlite:///{db}")
    with database.read() as session:
        from kam.models import RevenueLine

        booked = sorted(session.exec(sa.select(RevenueLine.booked_on)).scalars().all())
        assert booked == [date(2026, 5, 3), date(2026, 5, 3)]
        names = session.exec(sa.select(Account.name).order_by(Account.name)).scalars().all()
        assert names == ["Acme", "Zeta 株式会社"]
    database.dispose()


async def test_the_app_runs_on_a_team_postgresql_database(postgres_url: str) -> None:
    """A smoke test of the screens on PostgreSQL (the other screen tests use SQLite)."""
    from kam.demo import build_demo

    database = open_database(postgres_url)
    build_demo(database, 30, seed=6, as_of=TODAY)
    app = KamApp(database, as_of=TODAY, user="Ann Lee")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        for key in ("2", "3", "4", "1"):
            await pilot.press(key)
            await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        table = app.screen.query_one(LazyTable)
        folded = table.row_count
        assert folded < 30  # the demo's groups folded
        group = next(i for i in range(folded) if table.row_at(i).members)
        members = table.row_at(group).members
        table.cursor_row = group
        await pilot.press("right")
        await settle(pilot)
        assert table.row_count == folded + members
        assert table.row_at(group + 1).depth == 1
        await pilot.press("f")
        await settle(pilot)
        assert table.row_count == 30
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "AccountScreen"
    database.dispose()


async def test_the_preview_shows_each_column_and_a_mapping_is_kept_for_those_headers(
    tmp_path: Path,
) -> None:
    db = tmp_path / "kam.db"
    first = tmp_path / "kunden-1.csv"
    first.write_text("Kunde,Gebiet\nMüller GmbH,Süd\nCafé Crème,Nord\n")
    second = tmp_path / "kunden-2.csv"
    second.write_text("kunde, GEBIET\nØrsted,Nord\n")  # the same headers, written otherwise
    app = KamApp(open_database(f"sqlite:///{db}"), as_of=TODAY, user="Ann Lee")
    async with app.run_test(size=(110, 36)) as pilot:
        await open_import(pilot)
        screen = app.screen
        screen.query_one("#import-path", Input).value = str(first)
        screen.query_one("#import-map", Input).value = "Kunde=name"
        await screen.query_one("#import-path", Input).action_submit()
        await settle(pilot)
        text = screen_text(app)
        assert "Kunde  → name" in text and "Müller GmbH, Café Crème" in text
        assert "Gebiet → region" not in text and "Gebiet → (not imported)" in text
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert accounts_in(db) == ["Café Crème", "Müller GmbH"]
        await pilot.press("i")
        await settle(pilot)
        screen = app.screen
        screen.query_one("#import-path", Input).value = str(second)
        await screen.query_one("#import-path", Input).action_submit()
        await settle(pilot)
        text = screen_text(app)
        assert "columns mapped as the last time for these headers: Kunde=name" in text
        assert "would create 1" in text
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert accounts_in(db) == ["Café Crème", "Müller GmbH", "Ørsted"]
