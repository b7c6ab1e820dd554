"""Opening databases: migration, pragmas, and a one-line refusal of anything unusable."""

from __future__ import annotations

import os
import sqlite3
import stat
import uuid
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

import kam.models
from kam.db import Database, open_database, sqlite_path
from kam.errors import DatabaseOpenError
from kam.migrations import SCHEMA_HEAD
from kam.services.accounts import account_edit
from kam.services.accounts.account_edit import create_account
from tests.support import run


def test_schema_head_matches_the_migration_scripts() -> None:
    config = Config()
    config.set_main_option(
        "script_location", str(Path(kam.models.__file__).parent.parent / "migrations")
    )
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_HEAD


def test_a_fresh_database_is_migrated_to_exactly_the_models(database: Database) -> None:
    with database.engine.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        diff = compare_metadata(
            MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "include_name": lambda name, kind, parent: (
                        not kam.models.made_by_hand(name, kind, parent)
                    ),
                },
            ),
            kam.models.metadata,
        )
    assert version == SCHEMA_HEAD
    assert diff == []


def test_reopening_an_existing_database_keeps_its_rows(db_url: str) -> None:
    first = open_database(db_url)
    with first.write() as session:
        create_account(session, "Kept Ltd")
    first.dispose()
    second = open_database(db_url)
    with second.read() as session:
        names = session.connection().execute(sa.text("SELECT name FROM account")).scalars().all()
    second.dispose()
    assert names == ["Kept Ltd"]


def _upgrade_to(url: str, revision: str) -> None:
    """A database as an older kam left it: the schema of `revision`, no newer."""
    from kam.db import make_engine, upgrade_schema

    engine = make_engine(url)
    upgrade_schema(engine, revision)
    engine.dispose()


def test_migrating_an_older_schema_keeps_every_row_and_reference(db_url: str) -> None:
    import uuid
    from datetime import UTC, date, datetime

    _upgrade_to(db_url, "0001")
    ids = {
        name: uuid.uuid4()
        for name in ("member", "account", "boss", "contact", "need", "plan", "activity", "deal")
    }
    now = datetime.now(UTC)

    stamp = {"created_at": now, "updated_at": now, "version": 1}

    def insert(conn: sa.Connection, table: str, /, **values: object) -> None:
        """One row of the old schema, written without the models (which describe the new)."""
        row = {**stamp, **values}

        def column(key: str) -> sa.ColumnClause:
            if key == "id" or key.endswith("_id"):
                return sa.column(key, sa.Uuid)
            if key.endswith("_at"):
                return sa.column(key, kam.models.base.UTCDateTime)
            return sa.column(key)

        conn.execute(sa.table(table, *(column(k) for k in row)).insert(), [row])

    from kam.db import make_engine

    engine = make_engine(db_url)
    with engine.begin() as conn:
        insert(conn, "team_member", id=ids["member"], name="Li Wei", active=True)
        insert(
            conn,
            "account",
            id=ids["account"],
            name="Old Co",
            name_key="old co",
            relationship_stage="value",
            relationship_horizon="long_term",
            relationship_type="relational",
            strategic=False,
            emerging=False,
            status="active",
            notes="",
        )
        for key, boss in (("boss", None), ("contact", ids["boss"])):
            insert(
                conn,
                "contact",
                id=ids[key],
                account_id=ids["account"],
                reports_to_id=boss,
                name=key,
                attitude="neutral",
                influence="high",
                strength="regular",
                notes="",
            )
        insert(
            conn,
            "contact_need",
            id=ids["need"],
            contact_id=ids["contact"],
            kind="information",
            visibility="latent",
            text="monthly figures",
        )
        insert(
            conn,
            "plan_item",
            id=ids["plan"],
            account_id=ids["account"],
            contact_id=ids["contact"],
            kind="call",
            rule="FREQ=MONTHLY",
            next_due=date(2026, 12, 1),
            active=True,
            note="",
        )
        insert(
            conn,
            "activity",
            id=ids["activity"],
            account_id=ids["account"],
            plan_item_id=ids["plan"],
            kind="call",
            occurred_on=date(2026, 11, 2),
            summary="called",
            outcome="",
            sentiment="positive",
        )
        insert(
            conn,
            "opportunity",
            id=ids["deal"],
            account_id=ids["account"],
            owner_id=ids["member"],
            title="Retrofit",
            amount_minor=500_000,
            stage="proposal",
            probability=50,
            probability_overridden=False,
            impact_months=12,
            opened_on=date(2026, 9, 1),
            stage_changed_at=now,
        )
        row = {"id": uuid.uuid4(), "opportunity_id": ids["deal"], "to_stage": "proposal"}
        conn.execute(
            sa.table(
                "opportunity_stage_change",
                *(sa.column(k, sa.Uuid) for k in ("id", "opportunity_id", "changed_by_id")),
                sa.column("to_stage"),
                sa.column("changed_at", kam.models.base.UTCDateTime),
            ).insert(),
            [{**row, "changed_by_id": ids["member"], "changed_at": now}],
        )
    engine.dispose()
    _upgrade_to(db_url, "0002")
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            sa.table(
                "change_record",
                *(sa.column(k, sa.Uuid) for k in ("id", "account_id", "subject_id")),
                *(sa.column(k) for k in ("subject", "subject_label", "field", "new_value")),
                sa.column("changed_by"),
                sa.column("changed_at", kam.models.base.UTCDateTime),
            ).insert(),
            [
                {
                    "id": uuid.uuid4(),
                    "account_id": ids["account"],
                    "subject_id": ids["contact"],
                    "subject": "contact",
                    "subject_label": "contact",
                    "field": "title",
                    "new_value": "CFO",
                    "changed_by": "Li Wei",
                    "changed_at": now,
                }
            ],
        )
    engine.dispose()

    database = open_database(db_url)  # migrates 0002 -> head
    with database.read() as session:
        conn = session.connection()
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        needs = conn.execute(sa.text("SELECT text FROM contact_need")).scalars().all()
        plan_contact = conn.execute(
            sa.select(sa.column("contact_id", sa.Uuid)).select_from(sa.table("plan_item"))
        ).scalar()
        chain = conn.execute(
            sa.select(sa.column("name"), sa.column("reports_to_id", sa.Uuid))
            .select_from(sa.table("contact"))
            .order_by(sa.column("name"))
        ).all()
        activity = conn.execute(
            sa.text("SELECT summary, plan_item_id IS NOT NULL, opportunity_id FROM activity")
        ).one()
        moved_by = conn.execute(
            sa.text("SELECT changed_by FROM opportunity_stage_change")
        ).scalar_one()
        history = conn.execute(sa.text("SELECT field, new_value FROM change_record")).all()
    with database.engine.connect() as conn:
        foreign_keys_on = (
            conn.exec_driver_sql("PRAGMA foreign_keys").scalar() if database.is_sqlite else 1
        )
    database.dispose()
    assert version == SCHEMA_HEAD
    assert needs == ["monthly figures"]
    assert plan_contact == ids["contact"]
    assert chain == [("boss", None), ("contact", ids["boss"])]
    assert tuple(activity) == ("called", True, None)
    assert moved_by == "Li Wei"  # the mover's name, filled in from the team list
    assert [tuple(r) for r in history] == [("title", "CFO")]
    assert foreign_keys_on == 1


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(
    sqlite_database: Database,
) -> None:
    with sqlite_database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_a_new_database_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "private.db"
    open_database(f"sqlite:///{path}").dispose()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_write_transaction_takes_the_lock_up_front(
    sqlite_database: Database, tmp_path: Path
) -> None:
    """BEGIN IMMEDIATE: a second writer waits for the lock instead of failing half-way."""
    other = sqlite3.connect(tmp_path / "kam.db", timeout=0.1, isolation_level=None)
    with sqlite_database.write() as session:
        session.connection()  # the transaction has begun, and holds the write lock already
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    other.close()


def test_backup_is_a_consistent_private_copy(sqlite_database: Database, tmp_path: Path) -> None:
    with sqlite_database.write() as session:
        create_account(session, "Backed Up")
    target = sqlite_database.backup_to(tmp_path / "copy.db")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    copy = sqlite3.connect(target)
    assert copy.execute("SELECT name FROM account").fetchall() == [("Backed Up",)]
    copy.close()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"just some text, not a database at all", "not an SQLite file"),
        (b"SQLite format 3\x00" + b"\xff" * 4000, "corrupt"),
    ],
)
def test_a_foreign_or_corrupt_file_is_refused_in_one_line(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "odd.db"
    path.write_bytes(content)
    with pytest.raises(DatabaseOpenError, match=message) as info:
        open_database(f"sqlite:///{path}")
    assert "\n" not in str(info.value)
    assert path.read_bytes() == content  # nothing written


def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.close()
    with pytest.raises(DatabaseOpenError, match="not a kam database"):
        open_database(f"sqlite:///{path}")


def test_a_database_from_a_newer_kam_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kam.db'}"
    open_database(url).dispose()
    conn = sqlite3.connect(tmp_path / "kam.db")
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseOpenError, match="newer kam"):
        open_database(url)


def test_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DatabaseOpenError, match="directory does not exist"):
        open_database(f"sqlite:///{tmp_path / 'nope' / 'kam.db'}")
    assert not (tmp_path / "nope").exists()


def _as_unprivileged(check) -> bool:
    """Run `check` in a child process that cannot bypass file permissions (root can)."""
    if os.geteuid() != 0:
        return check()
    import pwd

    pid = os.fork()
    if pid == 0:  # the child: become `nobody`, run, report through the exit code
        try:
            nobody = pwd.getpwnam("nobody")
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            os._exit(0 if check() else 1)
        except BaseException:
            import traceback

            traceback.print_exc()  # shown by pytest with the failure
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


@pytest.mark.parametrize("folder_mode", [0o755, 0o555], ids=["file", "file-and-folder"])
def test_a_read_only_file_opens_read_only_reads_everything_and_saves_nothing(
    folder_mode: int,
) -> None:
    """A file this user cannot write (a colleague's, a backup kept read-only) is browsed in a
    private copy: lists and derived figures work, every edit is refused in one line, the file
    is byte for byte as it was, and the copy is gone once closed. In a folder that cannot be
    written either, SQLite cannot open the WAL's index; kam still reads it."""
    import tempfile

    from kam.errors import ReadOnlyError
    from kam.services.accounts import account_edit
    from kam.services.classify import pareto

    folder = Path(tempfile.mkdtemp(prefix="kam-ro-"))
    try:
        folder.chmod(0o755)
        path = folder / "kam.db"
        database = open_database(f"sqlite:///{path}")
        with database.write() as session:
            account_edit.create_account(session, "Acme 北京")
        database.dispose()
        for leftover in folder.glob("kam.db-*"):
            leftover.unlink()
        path.chmod(0o444)
        folder.chmod(folder_mode)
        before = path.read_bytes()

        def browsed() -> bool:
            database = open_database(f"sqlite:///{path}")
            copy_folder = sqlite_path(database.url).parent
            try:
                assert database.read_only == "kam.db the file is read-only"
                assert database.display_name == str(path)
                with database.read() as session:
                    names = session.exec(sa.select(kam.models.Account.name)).scalars().all()
                assert names == ["Acme 北京"]
                with database.write(derived=True) as session:  # kept in the copy only
                    pareto.refresh(session, date(2026, 12, 2))
                try:
                    with database.write() as session:
                        account_edit.create_account(session, "Lost Ltd")
                except ReadOnlyError as exc:
                    assert str(exc) == "kam.db the file is read-only: nothing was saved"
                else:
                    return False
            finally:
                database.dispose()
            return not copy_folder.exists()

        assert _as_unprivileged(browsed)
        folder.chmod(0o755)
        assert path.read_bytes() == before
        assert sorted(p.name for p in folder.iterdir()) == ["kam.db"]
    finally:
        import shutil

        folder.chmod(0o755)
        shutil.rmtree(folder)


def test_opening_read_only_on_request_leaves_a_writable_file_untouched(tmp_path: Path) -> None:
    from kam.errors import ReadOnlyError
    from kam.services.accounts import account_edit

    path = tmp_path / "kam.db"
    open_database(f"sqlite:///{path}").dispose()
    before = path.read_bytes()
    database = open_database(f"sqlite:///{path}", read_only=True)
    try:
        assert database.read_only == "kam.db opened read-only"
        with pytest.raises(ReadOnlyError), database.write() as session:
            account_edit.create_account(session, "Lost Ltd")
    finally:
        database.dispose()
    assert path.read_bytes() == before
    with pytest.raises(DatabaseOpenError, match="no database at"):
        open_database(f"sqlite:///{tmp_path / 'none.db'}", read_only=True)


def test_a_database_written_by_the_previous_kam_opens_with_every_row_kept(
    tmp_path: Path,
) -> None:
    """tests/data/schema-0005.db.gz was written by kam at schema 0005 (its demo, plus a review,
    a decision, an action item and a history row): opening it migrates it, keeps every row of
    every table unchanged, and leaves a private backup of the file as it was."""
    import gzip
    import shutil

    path = tmp_path / "old.db"
    old = Path(__file__).parent / "data" / "schema-0005.db.gz"
    with gzip.open(old) as source, path.open("wb") as target:
        shutil.copyfileobj(source, target)

    def snapshot() -> dict[str, list[tuple]]:
        conn = sqlite3.connect(path)
        try:
            tables = [
                name
                for (name,) in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT IN ('alembic_version') ORDER BY name"
                )
            ]
            result = {}
            for table in tables:
                columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
                rows = conn.execute(f'SELECT {", ".join(columns)} FROM "{table}"').fetchall()
                result[table] = sorted(
                    (dict(zip(columns, row, strict=True)) for row in rows), key=repr
                )
            return result
        finally:
            conn.close()

    before = snapshot()
    assert sum(len(rows) for rows in before.values()) > 900
    assert all(before[t] for t in ("account", "revenue_line", "review", "action_item"))

    open_database(f"sqlite:///{path}").dispose()

    after = snapshot()
    added = set(after) - set(before)  # tables of later schema versions, empty
    search = {t for t in added if kam.models.is_name_search_table(t)}
    added -= search
    assert added == {
        "account_plan",
        "plan_objective",
        "setting_change",
        "replica_state",
        "sync_outbox",
        "sync_conflict",
        "region",
    } and not any(after[t] for t in added - {"region"})
    # The words of the old region column are regions now, each account in its own.
    old_words = {r["region"] for r in before["account"] if r["region"]}
    assert {r["name"] for r in after["region"]} == old_words
    # Worked out from the name: the team database and each laptop, migrated apart, agree.
    made_from = uuid.UUID("6f1d3c52-8a0e-4e59-9d64-2b7f0c1a9e35")
    assert all(uuid.UUID(r["id"]) == uuid.uuid5(made_from, r["name_key"]) for r in after["region"])
    region_names = {r["id"]: r["name"] for r in after["region"]}
    for row in after["account"]:
        row["region"] = region_names.get(row.pop("region_id"))
    # The names already there are in the trigram index the migration made.
    indexed = sorted((r["account_id"], r["name_key"]) for r in after["account_name_search"])
    assert indexed == sorted(
        (r["id"], r["name_key"]) for r in before["account"] if len(r["name_key"]) >= 3
    )
    assert set(before) <= set(after)
    for table, rows in before.items():
        kept = [{k: row[k] for k in rows[0]} for row in after[table]] if rows else []
        assert sorted(kept, key=repr) == rows, table
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == SCHEMA_HEAD
    conn.close()
    backups = list(tmp_path.glob("old.db.schema-0005-*.bak"))
    assert len(backups) == 1
    assert stat.S_IMODE(os.stat(backups[0]).st_mode) == 0o600


def test_the_data_folder_database_and_its_journal_are_the_owner_s_only(
    tmp_path: Path, monkeypatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import os
    import stat

    data = tmp_path / "home" / "data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.delenv("KAM_DATABASE", raising=False)
    code, _out, err = run(capsys, "check")
    assert code == 0, err
    folder = data / "kam"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    db = folder / "kam.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    os.chmod(db, 0o644)
    os.chmod(folder, 0o755)
    code, _out, err = run(capsys, "check")
    assert code == 0, err
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    database = open_database(f"sqlite:///{db}")
    with database.write() as session:
        account_edit.create_account(session, "Acme")
        for journal in (folder / "kam.db-wal", folder / "kam.db-shm"):
            if journal.exists():
                assert stat.S_IMODE(journal.stat().st_mode) == 0o600
    database.dispose()


def test_a_database_from_a_newer_kam_is_refused_and_left_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    path = tmp_path / "kam.db"
    open_database(f"sqlite:///{path}").dispose()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = '0099'")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("name\nAcme\n")
    for command in (["check"], ["report", "pareto"], ["import", "accounts", str(accounts)]):
        code, _out, err = run(capsys, *command, "--db", str(path))
        assert code == 2 and "written by a newer kam (schema 0099); upgrade kam" in err
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("*.bak"))


def test_a_postgresql_database_that_does_not_store_utf8_is_refused_in_one_line(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database created as SQL_ASCII hands back raw bytes (SQLAlchemy itself failed on its
    first connection): kam names the encoding and how to make a UTF8 database."""
    from tests.conftest import _admin

    base, _, name = postgres_url.rpartition("/")
    _admin(base + "/", f"DROP DATABASE {name}")
    _admin(base + "/", f"CREATE DATABASE {name} ENCODING 'SQL_ASCII' TEMPLATE template0")
    code, _out, err = run(capsys, "check", "--db", postgres_url)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "stores text as SQL_ASCII; kam needs a UTF8 database: CREATE DATABASE" in err


def test_accounts_stay_found_by_part_of_their_name_across_the_groups_migration(
    tmp_path: Path,
) -> None:
    """0013 rebuilds `account` on SQLite: the name index's triggers are made again."""
    from kam.db import make_engine, upgrade_schema
    from kam.services.accounts import listing

    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_schema(engine, "0012")
    engine.dispose()
    database = open_database(f"sqlite:///{path}")  # migrated to the head here
    with database.write() as session:
        create_account(session, "Cobalt 上海 Mining")
    with database.read() as session:
        hits = listing.search(session, "balt 上海")
    database.dispose()
    assert [h.label for h in hits] == ["Cobalt 上海 Mining"]
