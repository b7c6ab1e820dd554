"""Account groups in the app: the team classifies by group from the dashboard, and a member
then shows the class it takes from its group."""

from __future__ import annotations

from pathlib import Path

from kam.db import open_database
from kam.dialogs.form import ConfirmScreen
from kam.models import Account, AccountClassification
from kam.models.enums import AccountClass
from kam.screens.account import AccountScreen
from kam.screens.dashboard import DashboardScreen
from kam.services import settings as settings_service
from kam.services.accounts import account_edit
from kam.services.classify.pareto import ClassificationSettings
from kam.services.values.formatting import KEEP_END
from kam.widgets.lazy_table import LazyTable
from tests.support import make_app, open_account, settle, show_accounts, shown


def _acme_in_a_group(path: Path) -> tuple:
    database = open_database(f"sqlite:///{path}")
    with database.write() as session:
        group = account_edit.create_account(session, "Acme Group 集团")  # no revenue of its own
        acme = session.exec(
            Account.__table__.select().where(Account.__table__.c.name == "Acme 北京")
        ).one()
        session.get(Account, acme.id).parent_id = group.id
    database.dispose()
    return group.id, acme.id


def _stored(path: Path, account_id) -> tuple:
    database = open_database(f"sqlite:///{path}")
    with database.read() as session:
        row = session.get(AccountClassification, account_id)
        by = settings_service.load(session, ClassificationSettings).by
        found = (row.account_class, row.via_group_id, by)
    database.dispose()
    return found


async def test_the_team_classifies_by_group_from_the_dashboard(db_path: Path) -> None:
    group, acme = _acme_in_a_group(db_path)
    app = make_app(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert "by group" not in shown(app.screen.query_one("#by-class"))
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert "core: top 5% · major: next 20% · by group" in shown(
            app.screen.query_one("#by-class")
        )
        top = app.screen.query_one("#top-accounts")
        assert top.border_title.startswith("Top groups and accounts")
        # The group, which buys nothing itself, is ranked on what its member brings.
        assert _stored(db_path, group) == (AccountClass.core, None, "group")
        assert _stored(db_path, acme) == (AccountClass.core, group, "group")
        screen = await open_account(pilot, "Acme 北")
        standing = " ".join(shown(screen.query_one("#standing")).split())
        assert "Class core via group Acme Group 集团" in standing
        assert "Rank 1 (its group's)" in standing
    # And back: the group on its own buys nothing.
    app = make_app(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert "by group" not in shown(app.screen.query_one("#by-class"))
    assert _stored(db_path, group) == (AccountClass.general, None, "account")


def _names(table) -> list[str]:
    """The Account column as the list shows it."""
    return [
        table.cells_of(table.row_at(i), i)[0][0].replace(KEEP_END, "")
        for i in range(table.row_count)
    ]


async def test_the_accounts_list_folds_groups_and_unfolds_them_by_key(db_path: Path) -> None:
    _group, acme = _acme_in_a_group(db_path)
    database = open_database(f"sqlite:///{db_path}")
    with database.write() as session:
        site = account_edit.create_account(session, "Acme 工厂")
        session.get(Account, site.id).parent_id = acme
    database.dispose()
    app = make_app(db_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await show_accounts(pilot)
        table = app.screen.query_one(LazyTable)
        assert _names(table) == ["▸ Acme Group 集团 (2)", "Bolt AB"]
        assert table.row_at(0).revenue_minor == 900_00  # Acme's, under the group
        status = shown(app.screen.query_one("#accounts-status"))
        assert status.startswith("2 groups and accounts, folded (→ unfolds, f flat)")
        await pilot.press("right")
        await settle(pilot)
        assert _names(table) == [
            "▾ Acme Group 集团 (2)", "  └ Acme 北京", "    └ Acme 工厂", "Bolt AB",
        ]  # fmt: skip
        # Left on a member folds its group and puts the cursor on it.
        await pilot.press("down", "down", "left")
        await settle(pilot)
        assert _names(table) == ["▸ Acme Group 集团 (2)", "Bolt AB"]
        assert table.cursor_row == 0
        # Enter unfolds a folded group; on an unfolded one it opens the group.
        await pilot.press("enter")
        await settle(pilot)
        assert table.row_count == 4
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, AccountScreen)
        assert app.screen.account_id == acme
        await pilot.press("escape")
        await settle(pilot)
        # f lists every account, each member with its group.
        await pilot.press("f")
        await settle(pilot)
        assert sorted(_names(table)) == [
            "Acme Group 集团", "Acme 北京 (in Acme Group 集团)", "Acme 工厂 (in Acme Group 集团)",
            "Bolt AB",
        ]  # fmt: skip
        assert "every one listed (f folds groups)" in shown(
            app.screen.query_one("#accounts-status")
        )
        await pilot.press("f", "slash", *"工厂")
        await settle(pilot)
        assert _names(table) == ["Acme 工厂 (in Acme Group 集团)"]
