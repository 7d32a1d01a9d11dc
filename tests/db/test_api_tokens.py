"""API tokens in the store, on SQLite and PostgreSQL: create, verify, list, revoke, hash-only storage."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

import kernelwright.db.queries.tokens as token_queries
from kernelwright.db import Store
from kernelwright.db.engine import head_revision, make_engine, upgrade_schema
from kernelwright.db.queries.tokens import API_TOKEN_TOUCH_INTERVAL


def test_create_verify_list_revoke(store: Store) -> None:
    alice, alice_secret = store.create_api_token("alice")
    bob, bob_secret = store.create_api_token("bob", rate_per_minute=600)

    assert alice_secret.startswith("kw_") and len(alice_secret) > 40
    assert alice.prefix == alice_secret[:10] and alice.name == "alice"
    assert alice.rate_per_minute is None and bob.rate_per_minute == 600
    assert alice.last_used_at is None and alice.revoked_at is None
    assert alice.created_at.tzinfo is not None

    verified = store.verify_api_token(alice_secret)
    assert verified is not None and verified.id == alice.id and verified.name == "alice"
    assert verified.last_used_at is not None
    assert store.verify_api_token(bob_secret).id == bob.id  # type: ignore[union-attr]
    assert store.verify_api_token("kw_not-a-token") is None
    assert store.verify_api_token("") is None

    assert [t.name for t in store.list_api_tokens()] == ["bob", "alice"]  # newest first

    assert store.revoke_api_token("alice") is True
    assert store.verify_api_token(alice_secret) is None
    assert store.revoke_api_token("alice") is False  # already revoked
    assert store.revoke_api_token("nobody") is False
    listed = {t.name: t for t in store.list_api_tokens()}
    assert listed["alice"].revoked_at is not None and listed["bob"].revoked_at is None
    assert store.verify_api_token(bob_secret) is not None


def test_duplicate_and_bad_arguments(store: Store) -> None:
    store.create_api_token("alice")
    with pytest.raises(ValueError, match="named 'alice' already exists"):
        store.create_api_token("alice")
    store.revoke_api_token("alice")
    # A revoked token keeps its name.
    with pytest.raises(ValueError, match="revoked API token named 'alice'"):
        store.create_api_token("alice")
    with pytest.raises(ValueError, match="non-empty name"):
        store.create_api_token("  ")
    with pytest.raises(ValueError, match="at least 1"):
        store.create_api_token("carol", rate_per_minute=0)
    assert [t.name for t in store.list_api_tokens()] == ["alice"]


def test_only_the_hash_is_stored(store: Store) -> None:
    row, secret = store.create_api_token("alice")
    store.verify_api_token(secret)
    with store.engine.connect() as conn:
        stored = conn.execute(text("SELECT * FROM api_token")).mappings().one()
    assert stored["token_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert stored["prefix"] == row.prefix
    for column, value in stored.items():
        assert secret not in str(value), column
    assert not hasattr(row, "token_hash")


def test_last_used_is_written_at_most_once_a_minute(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    _, secret = store.create_api_token("alice")
    t0 = datetime(2030, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    clock = [t0]
    monkeypatch.setattr(token_queries, "utcnow", lambda: clock[0])

    def stored_last_used() -> datetime | None:
        return store.list_api_tokens()[0].last_used_at

    assert store.verify_api_token(secret).last_used_at == t0  # type: ignore[union-attr]
    assert stored_last_used() == t0

    clock[0] = t0 + API_TOKEN_TOUCH_INTERVAL - timedelta(seconds=1)
    assert store.verify_api_token(secret).last_used_at == t0  # type: ignore[union-attr]
    assert stored_last_used() == t0  # not rewritten within the interval

    later = t0 + API_TOKEN_TOUCH_INTERVAL + timedelta(seconds=1)
    clock[0] = later
    assert store.verify_api_token(secret).last_used_at == later  # type: ignore[union-attr]
    assert stored_last_used() == later


def test_migrate_false_on_an_old_schema_says_what_to_run(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade_schema(engine, "0003")
    finally:
        engine.dispose()
    with pytest.raises(RuntimeError) as raised:
        Store(db_url, migrate=False)
    message = str(raised.value)
    assert f"at revision 0003, this Kernelwright needs {head_revision()}" in message
    assert "run `kernelwright db upgrade`" in message

    # The default opening still upgrades; afterwards migrate=False opens fine.
    with Store(db_url) as upgraded:
        assert upgraded.schema_revision() == head_revision()
    with Store(db_url, migrate=False) as opened:
        assert opened.schema_revision() == head_revision()
        opened.create_api_token("alice")


def test_migrate_false_on_an_empty_database(db_url: str) -> None:
    with pytest.raises(RuntimeError, match=r"revision none \(an empty database\).*kernelwright db upgrade"):
        Store(db_url, migrate=False)


def test_migrate_false_on_a_newer_schema(db_url: str) -> None:
    with Store(db_url) as opened, opened.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(RuntimeError, match="revision 9999, which this Kernelwright .* does not know"):
        Store(db_url, migrate=False)
