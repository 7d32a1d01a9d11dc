"""Fixtures for the store tests: every test runs on SQLite and on the session's throwaway PostgreSQL server.

The server itself (`postgres_server`) lives in tests/conftest.py; each postgres test here gets the emptied
shared test database in it. Without the PostgreSQL server binaries the postgres variants are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kernelwright.db import Store


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty database: a SQLite file, or the emptied test database of the PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("postgres_server").fresh_database()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """An open `Store` on an empty database of each backend."""
    with Store(db_url) as opened:
        yield opened
