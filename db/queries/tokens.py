"""API tokens of `kernelwright serve`: only a hash of each secret is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import replace
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.exc import IntegrityError

from kernelwright.db.convert import to_row
from kernelwright.db.models import ApiTokenModel, utcnow
from kernelwright.db.queries.base import QueryBase
from kernelwright.db.rows import ApiTokenRow

# Every API token secret starts with this, so a leaked one is recognizable (secret scanners, logs).
API_TOKEN_MARK = "kw_"
# Characters of the secret kept in clear for display: the mark plus 7 random ones.
API_TOKEN_PREFIX_CHARS = 10
# How stale a token's `last_used_at` may get: verifying writes at most this often, not on every request.
API_TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


def _api_token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenQueries(QueryBase):
    """API token queries of the `Store`."""

    def create_api_token(self, name: str, rate_per_minute: int | None = None) -> tuple[ApiTokenRow, str]:
        """A new API token named `name`: its row and its secret (`kw_...`), which is returned only here.

        Only the secret's SHA-256 is stored. `rate_per_minute` overrides the server's rate limit for this token.
        Raises `ValueError` for a blank name, a rate below 1, or a name already taken (revoked tokens keep
        their names, so that history stays unambiguous).
        """
        name = name.strip()
        if not name:
            raise ValueError("an API token needs a non-empty name")
        if rate_per_minute is not None and rate_per_minute < 1:
            raise ValueError(f"rate_per_minute must be at least 1 (None: the server's limit), not {rate_per_minute}")
        secret = API_TOKEN_MARK + secrets.token_urlsafe(32)
        with self._write.begin() as session:
            existing = session.scalars(select(ApiTokenModel).where(ApiTokenModel.name == name)).one_or_none()
            if existing is not None:
                state = "a revoked" if existing.revoked_at is not None else "an"
                raise ValueError(f"{state} API token named {name!r} already exists; pick another name")
            row = ApiTokenModel(
                name=name,
                token_hash=_api_token_hash(secret),
                prefix=secret[:API_TOKEN_PREFIX_CHARS],
                rate_per_minute=rate_per_minute,
            )
            session.add(row)
            try:
                session.flush()
            except IntegrityError as exc:
                # Another process took the name between the check above and this insert (PostgreSQL).
                raise ValueError(f"an API token named {name!r} already exists; pick another name") from exc
            return to_row(row, ApiTokenRow), secret

    def verify_api_token(self, secret: str) -> ApiTokenRow | None:
        """The live (not revoked) token whose secret is `secret`, or None.

        Marks the token used, at most once per `API_TOKEN_TOUCH_INTERVAL`, so that checking a token on every
        request does not write to the store on every request.
        """
        query = select(ApiTokenModel).where(
            ApiTokenModel.token_hash == _api_token_hash(secret), ApiTokenModel.revoked_at.is_(None)
        )
        with self._read() as session:
            row = session.scalars(query).one_or_none()
            if row is None:
                return None
            token = to_row(row, ApiTokenRow)
        now = utcnow()
        if token.last_used_at is not None and now - token.last_used_at < API_TOKEN_TOUCH_INTERVAL:
            return token
        stale = or_(ApiTokenModel.last_used_at.is_(None), ApiTokenModel.last_used_at <= now - API_TOKEN_TOUCH_INTERVAL)
        with self._write.begin() as session:
            # Conditional, so concurrent requests with one token write it once.
            session.execute(update(ApiTokenModel).where(ApiTokenModel.id == token.id, stale).values(last_used_at=now))
        return replace(token, last_used_at=now)

    def list_api_tokens(self) -> list[ApiTokenRow]:
        """Every API token, revoked ones included, newest first."""
        query = select(ApiTokenModel).order_by(ApiTokenModel.created_at.desc(), ApiTokenModel.id.desc())
        with self._read() as session:
            return [to_row(row, ApiTokenRow) for row in session.scalars(query)]

    def revoke_api_token(self, name: str) -> bool:
        """Revoke the live token named `name`; False when there is none (unknown, or already revoked)."""
        query = (
            update(ApiTokenModel)
            .where(ApiTokenModel.name == name.strip(), ApiTokenModel.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        with self._write.begin() as session:
            return cast(CursorResult[Any], session.execute(query)).rowcount > 0
