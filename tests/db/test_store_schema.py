"""The store's schema, URLs and engines on SQLite and PostgreSQL: migrations, settings, concurrency."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from store_data import ALL_TABLES, KERNEL, count, make_result, make_task

from kernelwright.db import Store, default_db_url
from kernelwright.db.engine import head_revision
from kernelwright.db.models import Base, CandidateModel, EvaluationModel


def test_open_creates_every_table_and_is_idempotent(db_url: str) -> None:
    with Store(db_url) as first:
        task = make_task()
        first.record_evaluation(task, KERNEL, make_result(task))
    # Opening again runs the upgrade again: nothing to do, nothing lost.
    with Store(db_url) as second:
        second.upgrade()
        tables = set(inspect(second.engine).get_table_names())
        assert ALL_TABLES | {"alembic_version"} <= tables
        assert len(second.evaluations_for_task(task.id)) == 1
        with second.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head_revision()]


def test_migration_schema_matches_models(store: Store) -> None:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_schema_comparison_detects_drift(store: Store) -> None:
    # Guards the test above against passing vacuously: a model the migration lacks must show up.
    from sqlalchemy import Column, Integer, MetaData, Table

    drifted = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(drifted)
    Table("not_migrated", drifted, Column("id", Integer, primary_key=True))
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, drifted)
    assert [diff[0] for diff in diffs] == ["add_table"]


# --- configuration -----------------------------------------------------------------------------------


def test_sqlite_uses_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path / 'deep' / 'er' / 'store.db'}") as store:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            busy_timeout_ms = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
            assert busy_timeout_ms is not None and busy_timeout_ms > 0
    assert (tmp_path / "deep" / "er" / "store.db").is_file()


def test_default_url_is_sqlite_in_user_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # platformdirs follows XDG_DATA_HOME on Linux.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    url = default_db_url()
    assert url == f"sqlite:///{tmp_path / 'xdg' / 'kernelwright' / 'kernelwright.db'}"
    assert (tmp_path / "xdg" / "kernelwright").is_dir()


def test_in_memory_sqlite_keeps_one_database() -> None:
    # Every connection to ':memory:' would be a new empty database; the store must share one.
    with Store("sqlite://") as store:
        store.upsert_task(make_task())
        assert store.get_task("activation/relu") is not None


def test_bare_postgresql_url_gets_psycopg_driver() -> None:
    from kernelwright.db.engine import normalize_url

    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("sqlite:///x.db").drivername == "sqlite"


# --- tasks and hardware ------------------------------------------------------------------------------


def test_alembic_config_runs_without_a_store(db_url: str) -> None:
    # The path the `alembic` command line (or a future `kernelwright db` command) takes: URL, no connection.
    from alembic import command

    from kernelwright.db.engine import alembic_config, make_engine

    cfg = alembic_config(db_url)
    command.upgrade(cfg, "head")
    engine = make_engine(db_url)
    try:
        assert ALL_TABLES <= set(inspect(engine).get_table_names())
        command.downgrade(cfg, "base")
        assert not ALL_TABLES & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_concurrent_writers_share_one_candidate(db_url: str) -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    with Store(db_url) as setup:
        task = make_task()
        setup.upsert_task(task)
    # Separate stores (separate engines), as separate processes would have.
    stores = [Store(db_url) for _ in range(4)]
    start = threading.Barrier(len(stores))

    def write(store: Store) -> set[int]:
        start.wait()
        ids = {store.add_candidate(task.id, KERNEL, "cpu")}
        for _ in range(5):
            store.record_evaluation(task, KERNEL, make_result(task))
        return ids

    try:
        with ThreadPoolExecutor(max_workers=len(stores)) as pool:
            ids = set().union(*pool.map(write, stores))
        assert len(ids) == 1
        assert count(stores[0], CandidateModel) == 1
        assert count(stores[0], EvaluationModel) == 20
    finally:
        for opened in stores:
            opened.close()
