"""Fixtures of the interface tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import two_accounts


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Two accounts with revenue (Acme the bigger, so a key account) and two people on our
    side; no deals. A test file with a database of its own names it the same."""
    return two_accounts(tmp_path / "kam.db")
