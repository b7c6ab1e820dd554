"""The demo portfolio: deterministic, Pareto-shaped, varied, and never over real data."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from kam.db import Database, open_database
from kam.demo import build_demo, create_demo_database
from kam.errors import KamError
from kam.models.enums import AccountClass, OpportunityStage
from kam.services.accounts.account_edit import create_account
from kam.services.classify import pareto

AS_OF = date(2026, 11, 22)


def scalar(database: Database, sql: str) -> object:
    with database.read() as session:
        return session.connection().execute(sa.text(sql)).scalar()


def test_demo_builds_a_varied_pareto_portfolio(database: Database) -> None:
    counts = build_demo(database, 400, seed=3, as_of=AS_OF)
    assert counts["account"] == 400
    assert 15 * 400 <= counts["revenue_line"] <= 25 * 400
    with database.read() as session:
        result = pareto.classify(session, AS_OF)
        names = [a.name for a in result.accounts]
        stages = set(
            session.connection()
            .execute(sa.text("SELECT DISTINCT stage FROM opportunity"))
            .scalars()
        )
        statuses = set(
            session.connection().execute(sa.text("SELECT DISTINCT status FROM account")).scalars()
        )
    core = next(c for c in result.classes if c.account_class == AccountClass.core)
    assert core.share > 0.4  # a few accounts bring a large part of revenue
    assert any(re.search(r"[\u4e00-\u9fff]", n) for n in names)
    assert any(n.isascii() for n in names)
    assert stages == {s.value for s in OpportunityStage}
    assert {"active", "silent", "lost"} <= statuses
    overdue = scalar(
        database, f"SELECT count(*) FROM plan_item WHERE active AND next_due < '{AS_OF}'"
    )
    assert overdue > 0
    assert scalar(database, "SELECT count(*) FROM wallet_estimate") > 0
    assert scalar(database, "SELECT count(*) FROM contact") > 0
    assert scalar(database, "SELECT count(*) FROM account_team") > 0
    # Silent accounts bought nothing in the last 12 months.
    silent_revenue = scalar(
        database,
        "SELECT count(*) FROM revenue_line r JOIN account a ON a.id = r.account_id "
        f"WHERE a.status = 'silent' AND r.booked_on > '{date(2025, 11, 22)}'",
    )
    assert silent_revenue == 0


def test_demo_is_deterministic(tmp_path: Path) -> None:
    def fingerprint(path: Path) -> tuple:
        create_demo_database(f"sqlite:///{path}", 150, seed=11, as_of=AS_OF)
        db = open_database(f"sqlite:///{path}")
        with db.read() as session:
            row = (
                session.connection()
                .execute(
                    sa.text(
                        "SELECT count(*), sum(amount_minor), min(id), max(id) FROM revenue_line"
                    )
                )
                .one()
            )
            names = (
                session.connection()
                .execute(sa.text("SELECT name FROM account ORDER BY id"))
                .scalars()
                .all()
            )
        db.dispose()
        return (*row, tuple(names))

    assert fingerprint(tmp_path / "a.db") == fingerprint(tmp_path / "b.db")


def test_demo_stored_classification_is_current(tmp_path: Path) -> None:
    create_demo_database(f"sqlite:///{tmp_path / 'demo.db'}", 50, as_of=AS_OF)
    db = open_database(f"sqlite:///{tmp_path / 'demo.db'}")
    with db.read() as session:
        assert pareto.is_current(session, AS_OF)
    db.dispose()


def test_demo_never_overwrites_a_real_database(tmp_path: Path) -> None:
    path = tmp_path / "real.db"
    db = open_database(f"sqlite:///{path}")
    with db.write() as session:
        create_account(session, "Real Customer")
    db.dispose()
    with pytest.raises(KamError, match="real data"):
        create_demo_database(f"sqlite:///{path}", 20, as_of=AS_OF)
    db = open_database(f"sqlite:///{path}")
    with db.read() as session:
        assert session.connection().execute(
            sa.text("SELECT name FROM account")
        ).scalars().all() == ["Real Customer"]
    db.dispose()
    assert sorted(p.name for p in tmp_path.iterdir() if "building" in p.name) == []


def test_demo_replaces_an_earlier_demo(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    create_demo_database(url, 30, as_of=AS_OF)
    create_demo_database(url, 40, as_of=AS_OF)
    db = open_database(url)
    assert scalar(db, "SELECT count(*) FROM account") == 40
    db.dispose()


def test_demo_file_keeps_every_index_and_the_journal(tmp_path: Path) -> None:
    """The file is written with its indexes dropped and its journal off; what lands in place
    has the same indexes as any migrated database, write-ahead logging and intact data."""
    migrated = open_database(f"sqlite:///{tmp_path / 'empty.db'}")
    index_sql = "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
    with migrated.read() as session:
        expected = session.connection().execute(sa.text(index_sql)).all()
    migrated.dispose()
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    create_demo_database(url, 60, as_of=AS_OF)
    db = open_database(url)
    with db.read() as session:
        conn = session.connection()
        assert conn.execute(sa.text(index_sql)).all() == expected
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(sa.text("PRAGMA foreign_key_check")).first() is None
        assert conn.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"
    db.dispose()


def test_a_rebuild_stopped_just_before_its_rename_leaves_the_old_demo_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last step of a rebuild is one rename over the old demo: stopped right before it,
    the old demo is still there, with every account and nothing in its journal lost."""
    import kam.demo

    path = tmp_path / "demo.db"
    create_demo_database(f"sqlite:///{path}", 12, seed=1, as_of=AS_OF)

    def stopped(*_args) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(kam.demo.os, "replace", stopped)
    with pytest.raises(KeyboardInterrupt):
        create_demo_database(f"sqlite:///{path}", 30, seed=2, as_of=AS_OF)
    monkeypatch.undo()
    database = open_database(f"sqlite:///{path}")
    try:
        assert scalar(database, "SELECT count(*) FROM account") == 12
    finally:
        database.dispose()
