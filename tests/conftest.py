"""Fixtures: a real SQLite file per test, and a real PostgreSQL server when one can be started.

PostgreSQL: $KAM_TEST_POSTGRES_URL (a server URL ending in /) is used if set; otherwise a
throwaway cluster is created in a temp dir with the machine's `initdb` and `pg_ctl` (as the
`postgres` user when running as root). Where neither exists the PostgreSQL tests skip, unless
$KAM_REQUIRE_POSTGRES is set (CI), where they fail.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kam.db import Database, open_database

TEST_TODAY = "2026-11-22"


@pytest.fixture(autouse=True)
def _private_user_folders(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    """Every test gets its own config and data folders: nothing reads or writes the real
    user's config.toml (the theme, the user name) or crash logs."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.delenv("NO_COLOR", raising=False)


def _find_pg_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Cluster:
    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="kam-pg-"))
        self.port = _free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def start(self) -> str:
        data = self.root / "data"
        self._run(
            "initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"
        )
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl", "-D", str(data), "-o", options, "-l", str(self.root / "log"), "-w", "start"
        )
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/"

    def restart(self) -> None:
        """Stopped as an administrator would (clients cut off) and started again."""
        data, log = str(self.root / "data"), str(self.root / "log")
        self._run("pg_ctl", "-D", data, "-l", log, "-m", "fast", "-w", "restart")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[tuple[str, _Cluster | None] | None]:
    """Base URL of a PostgreSQL server for tests and the throwaway cluster behind it (None
    for a server given in $KAM_TEST_POSTGRES_URL), or None where none can be had."""
    url = os.environ.get("KAM_TEST_POSTGRES_URL")
    if url:
        yield (url if url.endswith("/") else url + "/"), None
        return
    bin_dir = _find_pg_bin()
    if bin_dir is None:
        yield None
        return
    cluster = _Cluster(bin_dir)
    try:
        base = cluster.start()
    except (OSError, subprocess.SubprocessError) as exc:
        if os.environ.get("KAM_REQUIRE_POSTGRES"):
            raise
        print(f"PostgreSQL could not be started, its tests skip: {exc}")
        shutil.rmtree(cluster.root, ignore_errors=True)
        yield None
        return
    try:
        yield base, cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_server(postgres_cluster: tuple[str, _Cluster | None] | None) -> str | None:
    """Base URL of a PostgreSQL server for tests, or None where none can be had."""
    return postgres_cluster[0] if postgres_cluster else None


@pytest.fixture
def restart_postgres(postgres_cluster: tuple[str, _Cluster | None] | None):
    """Restarts the tests' own PostgreSQL server (skips on a server given from outside)."""
    cluster = postgres_cluster[1] if postgres_cluster else None
    if cluster is None:
        pytest.skip("the PostgreSQL server is not the tests' own: it is not restarted")
    return cluster.restart


def _admin(base: str, sql: str) -> None:
    import psycopg

    dsn = base.replace("postgresql+psycopg://", "postgresql://") + "postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql)


@contextmanager
def _fresh_postgres(request: pytest.FixtureRequest) -> Iterator[str]:
    """A new, empty database on the throwaway server, dropped afterwards (or a skip)."""
    base = request.getfixturevalue("postgres_server")
    if base is None:
        if os.environ.get("KAM_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL is required ($KAM_REQUIRE_POSTGRES) but none was found")
        pytest.skip("no PostgreSQL server available")
    name = f"kam_test_{uuid.uuid4().hex[:12]}"
    _admin(base, f"CREATE DATABASE {name}")
    try:
        yield base + name
    finally:
        _admin(base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def new_postgres(request: pytest.FixtureRequest):
    """Makes new, empty databases on the throwaway server, one per `with` (for a property
    test, whose examples must each start from the same state)."""
    request.getfixturevalue("postgres_server")  # skips here where there is no server
    return lambda: _fresh_postgres(request)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kam.db'}"
        return
    with _fresh_postgres(request) as url:
        yield url


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty PostgreSQL database (the test skips where there is no server)."""
    with _fresh_postgres(request) as url:
        yield url


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    db = open_database(db_url)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    db = open_database(f"sqlite:///{tmp_path / 'kam.db'}")
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def acme_db(tmp_path: Path) -> Path:
    """Acme (Ann's, a key account) with a deal in negotiation and a monthly call due in two
    weeks; Bolt (no owner, smaller). Seen from MONDAY."""
    from datetime import date

    from kam.services.accounts import account_edit
    from kam.services.classify import pareto
    from kam.services.contact_plan import plan_items
    from kam.services.people import team
    from kam.services.pipeline import deals
    from kam.services.wallet.revenue import add_revenue
    from tests.support import MONDAY, USER, build

    def fill(session) -> None:
        ann = team.create_member(session, {"name": USER}).id
        team.create_member(session, {"name": "Bo Berg"})
        acme = account_edit.create_account(session, "Acme 北京", owner_id=ann)
        bolt = account_edit.create_account(session, "Bolt AB")
        add_revenue(session, acme.id, date(2026, 6, 1), 900_000_00)
        add_revenue(session, bolt.id, date(2026, 6, 1), 1_000_00)
        deal = {"title": "Retrofit", "amount_minor": "30000", "stage": "negotiation"}
        deals.create_deal(session, acme.id, deal, USER, MONDAY)
        call = {
            "kind": "call",
            "cadence": "monthly",
            "next_due": "2026-12-07",
            "owner_id": str(ann),
        }
        plan_items.create_item(session, acme.id, call, USER, MONDAY)
        pareto.refresh(session, MONDAY)

    return build(tmp_path / "kam.db", fill)


@pytest.fixture
def small_db(tmp_path: Path) -> Path:
    """Four accounts, one of them with a name a spreadsheet would take for a formula, one
    without sales."""
    from datetime import date

    from kam.services.accounts.account_edit import create_account
    from kam.services.wallet.revenue import add_revenue
    from tests.support import build

    def fill(session) -> None:
        for name, amount in [
            ("Alpha Steel", 600_00),
            ("华东精密机械有限公司", 300_00),
            ("=HYPERLINK()", 100_00),
        ]:
            account = create_account(session, name)
            add_revenue(session, account.id, date(2026, 6, 1), amount, cost_minor=amount // 2)
        create_account(session, "No Sales Yet")

    return build(tmp_path / "kam.db", fill)


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory):
    """`demo_file(accounts, seed)`: a demo database seen from TODAY, built once per run for
    each size and seed. Shared: a test that writes works on a copy (`support.copy_of`)."""
    from kam.demo import create_demo_database
    from tests.support import TODAY

    built: dict[tuple[int, int], Path] = {}

    def get(accounts: int, seed: int) -> Path:
        if (accounts, seed) not in built:
            path = tmp_path_factory.mktemp("demo") / f"demo-{accounts}-{seed}.db"
            create_demo_database(f"sqlite:///{path}", accounts, seed=seed, as_of=TODAY)
            built[accounts, seed] = path
        return built[accounts, seed]

    return get
