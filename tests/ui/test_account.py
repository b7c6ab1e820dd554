"""The account workspace driven from the keyboard with Pilot, on a real SQLite file."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from textual.widgets import ContentSwitcher, DataTable, Input, Static, Tree

from kam.db import Database, open_database
from kam.dialogs.form import ConfirmScreen, FormScreen
from kam.models import (
    Account,
    AccountTeamMember,
    ChangeRecord,
    Contact,
)
from kam.screens.account import AccountScreen
from kam.services.accounts import account_edit
from kam.services.people import contacts
from kam.services.pipeline import deals
from kam.widgets.lazy_table import LazyTable
from kam.widgets.tab_strip import TabStrip
from tests.support import (
    USER,
    choose,
    error_text,
    make_app,
    monday_app,
    open_account,
    read_db,
    region_name,
    settle,
    show_accounts,
    shown,
    type_into,
)


def reader(path: Path) -> Database:
    return open_database(f"sqlite:///{path}")


def account_id(path: Path, name: str) -> uuid.UUID:
    database = reader(path)
    with database.read() as session:
        found = (
            session.connection()
            .execute(sa.select(Account.__table__.c.id).where(Account.__table__.c.name == name))
            .scalar_one()
        )
    database.dispose()
    return found


# --- accounts ---------------------------------------------------------------------------------


async def test_create_edit_archive_and_restore_an_account(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await show_accounts(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert app.focused is not None and app.focused.id == "field-name"  # name first
        await pilot.press(*"Cobalt 上海")
        await type_into(pilot, "#field-region", "华东")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, FormScreen)

        await pilot.press("slash", *"cobalt", "enter")
        await settle(pilot)
        assert app.screen.query_one(LazyTable).cursor_value.name == "Cobalt 上海"
        await pilot.press("e")
        await settle(pilot)
        await type_into(pilot, "#field-industry", "Chemicals")
        await pilot.press("ctrl+s")
        await settle(pilot)

        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen.query_one(LazyTable).row_count == 0  # gone from the live list

        await pilot.press("escape", "escape", "a")  # clear the filter, show the archive
        await settle(pilot)
        table = app.screen.query_one(LazyTable)
        assert table.row_count == 1 and table.cursor_value.name == "Cobalt 上海"
        await pilot.press("u")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert app.screen.query_one(LazyTable).row_count == 3

    database = reader(db_path)
    with database.read() as session:
        account = session.get(Account, account_id(db_path, "Cobalt 上海"))
        region = region_name(session, account)
        fields = (
            session.connection()
            .execute(
                sa.select(ChangeRecord.__table__.c.field, ChangeRecord.__table__.c.changed_by)
                .where(ChangeRecord.__table__.c.account_id == account.id)
                .order_by(ChangeRecord.__table__.c.changed_at)
            )
            .all()
        )
    database.dispose()
    assert (region, account.industry, account.archived_at) == ("华东", "Chemicals", None)
    assert [f for f, _ in fields] == ["created", "industry", "archived", "archived"]
    assert {who for _, who in fields} == {USER}


async def test_each_validation_message_shows_beside_its_field(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await show_accounts(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)  # the form stays open
        assert error_text(pilot, "name") == "an account needs a name"

        await type_into(pilot, "#field-name", " bolt ab ")
        await type_into(pilot, "#field-customer_since", "31/31/2020")
        await choose(pilot, "#field-tier_override", "gold")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert error_text(pilot, "name") == "an account called 'Bolt AB' exists already"
        assert "is not a date" in error_text(pilot, "customer_since")
        assert error_text(pilot, "tier_override_reason") == "say why the tier is set by hand"
        assert app.screen.query_one("#field-customer_since", Input).value == "31/31/2020"

        await type_into(pilot, "#field-name", "Bolt Nordic")
        await type_into(pilot, "#field-customer_since", "5 Mar 2019")
        await type_into(pilot, "#field-tier_override_reason", "new frame contract")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, FormScreen)
    database = reader(db_path)
    with database.read() as session:
        saved = session.get(Account, account_id(db_path, "Bolt Nordic"))
    database.dispose()
    assert (saved.customer_since, saved.tier_override.value) == (date(2019, 3, 5), "gold")


async def test_escape_on_a_changed_form_asks_before_throwing_it_away(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await show_accounts(pilot)
        await pilot.press("n", *"Half typed")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # keep editing
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert app.screen.query_one("#field-name", Input).value == "Half typed"
        await pilot.press("escape", "y")
        await settle(pilot)
        assert not isinstance(app.screen, FormScreen | ConfirmScreen)


async def test_a_save_over_someone_elses_edit_shows_the_conflict_and_keeps_both(
    db_path: Path,
) -> None:
    app = make_app(db_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_account(pilot, "Bolt")
        await pilot.press("e")
        await settle(pilot)
        await type_into(pilot, "#field-industry", "Mining")

        # Meanwhile a second kam on the same file changes the industry and the region.
        other = reader(db_path)
        bolt = account_id(db_path, "Bolt AB")
        with other.write() as session:
            base = account_edit.open_account_form(session, bolt)
            raw = {k: getattr(v, "value", v) for k, v in base.values.items()}
            raw.update(industry="Forestry", region="Norrland")
            account_edit.update_account(session, bolt, base, raw, "Bo Berg")

        await pilot.press("ctrl+s")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        assert error_text(pilot, "industry") == "saved meanwhile as: Forestry"
        assert form.query_one("#field-industry", Input).value == "Mining"  # mine kept
        assert form.query_one("#field-region", Input).value == "Norrland"  # theirs filled in
        await pilot.press("ctrl+s")  # mine over theirs, knowingly
        await settle(pilot)
        assert not isinstance(app.screen, FormScreen)

    with other.read() as session:
        saved = session.get(Account, bolt)
        saved_region = region_name(session, saved)
        industry_moves = (
            session.connection()
            .execute(
                sa.select(ChangeRecord.__table__.c.new_value, ChangeRecord.__table__.c.changed_by)
                .where(ChangeRecord.__table__.c.field == "industry")
                .order_by(ChangeRecord.__table__.c.changed_at)
            )
            .all()
        )
    other.dispose()
    assert (saved.industry, saved_region) == ("Mining", "Norrland")
    assert industry_moves == [("Forestry", "Bo Berg"), ("Mining", USER)]


# --- team and contacts ----------------------------------------------------------------------


async def test_team_roles_and_the_single_threaded_flag(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await show_accounts(pilot)
        assert "single" in str(app.screen.query_one(LazyTable).render_line(1).text)
        screen = await open_account(pilot, "Acme")
        assert "single-threaded" in shown(screen.query_one("#account-banner", Static))
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("m")  # a new person on our side
        await settle(pilot)
        await pilot.press(*"Chen Jing")
        await pilot.press("ctrl+s")
        await settle(pilot)

        for person, role in (("Li", "account lead"), ("Chen", "technical")):
            await pilot.press("n")
            await settle(pilot)
            await choose(pilot, "#field-member_id", person)
            await choose(pilot, "#field-role", role)
            await pilot.press("ctrl+s")
            await settle(pilot)
        table = screen.query_one("#team-table", DataTable)
        assert [tuple(table.get_row_at(i)[:2]) for i in range(table.row_count)] == [
            ("account lead", "Li Wei"),
            ("technical", "Chen Jing"),
        ]
        assert "single-threaded" not in shown(screen.query_one("#account-banner", Static))

        await pilot.press("down", "e")  # Chen moves from technical to service
        await settle(pilot)
        await choose(pilot, "#field-role", "service")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("d", "y")  # and leaves the team
        await settle(pilot)
        assert [table.get_row_at(i)[1] for i in range(table.row_count)] == ["Li Wei"]

        await pilot.press("slash", *"zzz")
        await settle(pilot)
        assert table.row_count == 0  # the filter narrows the team list
        await pilot.press("escape")
    database = reader(db_path)
    with database.read() as session:
        roles = session.connection().execute(sa.select(AccountTeamMember.__table__.c.role)).all()
    database.dispose()
    assert roles == [("account_lead",)]


async def test_contacts_with_a_reports_to_chain_and_the_map_warnings(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_account(pilot, "Acme", tab="c")
        warnings = shown(screen.query_one("#contact-warnings", Static))
        assert "no contacts at all" in warnings

        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"王芳")
        await choose(pilot, "#field-buying_role", "decision")
        await pilot.press("ctrl+s")
        await settle(pilot)
        # With 王芳 under the cursor, a new contact reports to her by default.
        for name in ("Bob", "Cid"):
            await pilot.press("n")
            await settle(pilot)
            await pilot.press(*name)
            await pilot.press("ctrl+s")
            await settle(pilot)

        tree = screen.query_one("#org", Tree)
        (top,) = tree.root.children
        assert top.data.name == "王芳"
        assert [n.data.name for n in top.children] == ["Bob"]
        assert [n.data.name for n in top.children[0].children] == ["Cid"]
        assert "decision maker" in str(top.label)
        warnings = shown(screen.query_one("#contact-warnings", Static))
        assert "no decision maker" not in warnings
        assert "no champion" in warnings
        assert "no strong or trusted relationship" in warnings

        # A reporting loop is refused beside the field, and nothing is saved.
        tree.move_cursor(top)
        await pilot.pause()
        await pilot.press("e")
        await settle(pilot)
        await choose(pilot, "#field-reports_to_id", "Cid")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert error_text(pilot, "reports_to_id") == "that would make a reporting loop"
        await pilot.press("escape", "y")
        await settle(pilot)

        await pilot.press("h")  # the history tab lists what was done
        await settle(pilot)
        history = screen.query_one("#history-table", DataTable)
        about = {history.get_row_at(i)[2] for i in range(history.row_count)}
        assert {"contact 王芳", "contact Bob", "contact Cid"} <= about
    database = reader(db_path)
    with database.read() as session:
        rows = contacts.account_contacts(session, account_id(db_path, "Acme 北京"))
        assert (
            session.connection().execute(sa.select(sa.func.count()).select_from(Contact)).scalar()
            == 3
        )
    database.dispose()
    by_name = {r.name: r for r in rows}
    assert by_name["王芳"].reports_to_id is None
    assert by_name["Cid"].reports_to_id == by_name["Bob"].id


async def test_the_palette_finds_a_contact_and_opens_it_on_the_map(db_path: Path) -> None:
    database = reader(db_path)
    with database.write() as session:
        contacts.create_contact(session, account_id(db_path, "Bolt AB"), {"name": "张伟"}, USER)
    database.dispose()
    app = make_app(db_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"张伟")
        await settle(pilot)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AccountScreen)
        assert screen.tab == "contacts"
        assert screen.selected_contact().name == "张伟"


async def test_contact_and_person_forms_explain_their_mistakes(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_account(pilot, "Bolt")
        await pilot.press("c", "n")
        await settle(pilot)
        await type_into(pilot, "#field-email", "nobody")
        await type_into(pilot, "#field-left_on", "2030-01-01")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert error_text(pilot, "name") == "a contact needs a name"
        assert error_text(pilot, "email") == "an e-mail address looks like name@example.com"
        assert error_text(pilot, "left_on") == "cannot be later than 2026-11-22"
        await pilot.press("escape", "y", "t", "m")
        await settle(pilot)
        await pilot.press(*"li wei")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert error_text(pilot, "name") == "li wei is a team member already"
        await pilot.press("escape", "y")
    database = reader(db_path)
    with database.read() as session:
        contacts_saved = (
            session.connection().execute(sa.select(sa.func.count()).select_from(Contact)).scalar()
        )
    database.dispose()
    assert contacts_saved == 0


async def test_needs_are_added_and_removed_from_the_contacts_tab(db_path: Path) -> None:
    database = reader(db_path)
    with database.write() as session:
        contacts.create_contact(session, account_id(db_path, "Bolt AB"), {"name": "Amy"}, USER)
    database.dispose()
    app = make_app(db_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_account(pilot, "Bolt")
        await pilot.press("c", "a")
        await settle(pilot)
        await choose(pilot, "#field-visibility", "latent")
        await type_into(pilot, "#field-text", "weekly KPIs")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert [n.text for n in screen.selected_contact().needs] == ["weekly KPIs"]
        assert "weekly KPIs (latent)" in shown(screen.query_one("#contact-card", Static))
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.selected_contact().needs == []
        await pilot.press("h")
        await settle(pilot)
        history = screen.query_one("#history-table", DataTable)
        rows = [history.get_row_at(i) for i in range(history.row_count)]
        assert [r[3:] for r in rows[:2]] == [
            ["information need", "weekly KPIs", ""],
            ["information need", "", "weekly KPIs (latent)"],
        ]


# --- tabs -------------------------------------------------------------------------------------


def strip_text(screen: AccountScreen) -> str:
    return screen.query_one(TabStrip).render_line(0).text


async def test_tabs_are_built_when_first_shown_and_follow_keys_clicks_and_a_narrow_screen(
    db_path: Path,
) -> None:
    app = make_app(db_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_account(pilot, "Acme")
        switcher = screen.query_one("#account-tabs")
        assert [pane.id for pane in switcher.children] == ["overview"]
        # Every title whole at 80 columns, a space apart.
        assert strip_text(screen) == (
            "Overview Team Contacts Revenue Pipeline Plan Wallet Health Account plan History "
        )

        await pilot.resize_terminal(60, 24)  # narrower: short titles, and the strip scrolls
        await settle(pilot)
        assert strip_text(screen).startswith("Overview Team ")
        assert strip_text(screen).endswith("›")  # more tabs to the right
        await pilot.press("h")  # the last tab: the strip shows it whole
        await settle(pilot)
        assert screen.tab == "history" and screen.query_one("#history-table", DataTable)
        assert strip_text(screen).endswith(" Acct plan History ")
        assert strip_text(screen).startswith("‹")  # more tabs to the left
        assert screen.query_one(ContentSwitcher).current == "history"
        await pilot.resize_terminal(80, 24)
        await settle(pilot)

        await pilot.press("tab")  # round to the first
        await settle(pilot)
        assert screen.tab == "overview" and strip_text(screen).startswith("Overview ")

        strip = screen.query_one(TabStrip)
        strip.focus()
        await pilot.press("right")  # the strip's own keys when it has the focus
        await settle(pilot)
        assert screen.tab == "team" and screen.query_one("#team-table", DataTable).has_focus

        await pilot.click(TabStrip, offset=(20, 0))  # "Contacts " sits in cells 14-22
        await settle(pilot)
        assert screen.tab == "contacts" and screen.query_one("#org", Tree).has_focus
        assert [pane.id for pane in switcher.children] == [
            "overview",
            "history",
            "team",
            "contacts",
        ]

        def team_title_style():
            return next(seg.style for seg in strip.render_line(0) if seg.text == "Team ")

        resting = team_title_style()
        await pilot.hover(TabStrip, offset=(12, 0))  # "Team " sits in cells 9-13
        assert team_title_style() != resting  # lit under the mouse
        await pilot.hover(TabStrip, offset=(12, 1))  # the bar below it: not a title
        assert team_title_style() == resting


async def test_a_failed_save_puts_the_focus_on_the_first_field_in_error(acme_db: Path) -> None:
    app = monday_app(acme_db)
    async with app.run_test(size=(120, 35)) as pilot:
        await open_account(pilot, "Acme", "p")
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        # Errors in the amount and the next step's date, none in the title above them.
        await type_into(pilot, "#field-title", "Service")
        await type_into(pilot, "#field-next_step_due", "soonish")
        await type_into(pilot, "#field-amount_minor", "-5")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert app.focused is form.query_one("#field-amount_minor")


async def test_the_team_tab_names_the_owner_as_lead_and_the_lone_carrier(acme_db: Path) -> None:
    app = monday_app(acme_db)
    async with app.run_test(size=(120, 35)) as pilot:
        screen = await open_account(pilot, "Acme", "t")
        said = shown(screen.query_one("#threading", Static))
        await pilot.press("o")
        await settle(pilot)
        standing = shown(screen.query_one("#standing")).splitlines()
    assert "Account lead: Ann Lee, the owner, until someone else is named" in said
    assert "Account lead Ann Lee (the owner)" in [" ".join(line.split()) for line in standing]
    assert "⚠ Single-threaded: Ann Lee alone carries this account on our side" in said
    assert "More than one" not in said


async def test_the_revenue_tab_marks_the_running_year(acme_db: Path) -> None:
    app = monday_app(acme_db)
    async with app.run_test(size=(120, 35)) as pilot:
        screen = await open_account(pilot, "Acme", "r")
        years = shown(screen.query_one("#revenue-years", Static))
    assert "2026*" in years
    assert "* 2026 to 23 Nov: growth at its run rate" in years


async def test_their_annual_revenue_is_edited_in_the_form_and_shown_on_the_overview(
    acme_db: Path,
) -> None:
    app = monday_app(acme_db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_account(pilot, "Acme")
        await pilot.press("e")
        await settle(pilot)
        await type_into(pilot, "#field-annual_revenue_minor", "-5")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert "cannot be negative" in str(
            app.screen.query_one("#error-annual_revenue_minor", Static).render()
        )
        await type_into(pilot, "#field-annual_revenue_minor", "250,000,000")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        profile = [
            " ".join(line.split()) for line in shown(screen.query_one("#profile")).splitlines()
        ]
        assert "Their revenue 250.0M a year" in profile

    acme = read_db(acme_db, lambda s: deals.account_by_name(s, "Acme 北京"))
    found = read_db(acme_db, lambda s: s.get(account_edit.Account, acme).annual_revenue_minor)
    assert found == 250_000_000_00


async def test_the_overview_draws_the_group_an_account_is_part_of(db_path: Path) -> None:
    database = reader(db_path)
    with database.write() as session:
        group = account_edit.create_account(session, "Acme Group 集团")
        for name in ("Acme 北京", "Bolt AB"):
            session.get(Account, account_id(db_path, name)).parent_id = group.id
    database.dispose()
    app = make_app(db_path)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_account(pilot, "Bolt")
        panel = screen.query_one("#group")
        assert panel.display
        drawn = shown(panel)
        assert "Acme Group 集团: 3 accounts, 1.0k in the 12m" in drawn
        lines = [line.strip() for line in drawn.splitlines()]
        members = [line.split("  ")[0] for line in lines[2:]]  # under the heading and header
        assert members[:3] == ["Acme Group 集团", "└ Acme 北京", "└ Bolt AB"]
        assert "Part of         Acme Group 集团" in shown(screen.query_one("#profile"))
        await settle(pilot)  # the group's figures come with the insight, read just after
        figures = [
            " ".join(line.split())
            for line in shown(screen.query_one("#group-figures")).splitlines()
        ]
        assert "Accounts Acme Group 集团 with 2 members" in figures
        assert "Revenue 12m 1.0k" in "\n".join(figures)


async def test_the_overview_scrolls_with_the_keys_to_what_is_below_the_fold(
    db_path: Path,
) -> None:
    from textual.containers import VerticalScroll

    app = make_app(db_path)
    async with app.run_test(size=(80, 20)) as pilot:
        screen = await open_account(pilot, "Acme")
        pane = screen.query_one("#overview").query_one(VerticalScroll)
        assert pane.max_scroll_y > 0 and pane.scroll_y == 0
        await pilot.press("pagedown")
        await settle(pilot)
        assert pane.scroll_y > 0
        await pilot.press("home")
        await settle(pilot)
        assert pane.scroll_y == 0
        await pilot.press("end")
        await settle(pilot)
        assert pane.scroll_y == pane.max_scroll_y
