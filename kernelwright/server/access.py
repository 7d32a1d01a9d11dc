"""Who may do what: API tokens for anything that submits work, public reads unless configured otherwise,
and a per-token rate limit.

A token travels as `Authorization: Bearer <token>`, or as the password of HTTP Basic auth, which is what a
browser offers for pages when reads are private.
"""

from __future__ import annotations

import base64
import threading
import time
from dataclasses import dataclass

from fastapi import HTTPException, Request, status

from kernelwright.db import Store
from kernelwright.db.rows import ApiTokenRow

# A verified token is trusted this long before the store is asked again, so reads do not hit the store for
# auth on every request; a revoked token stops working within this time.
TOKEN_CACHE_S = 10.0


def _secret(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except ValueError:  # not base64 (binascii.Error), not ASCII (a header is latin-1), or not UTF-8 inside
            return None
        return decoded.partition(":")[2] or None
    return None


class RateLimiter:
    """A token bucket per key: `rate` requests a minute, bursts up to `rate`."""

    def __init__(self) -> None:
        self._buckets: dict[int, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: int, rate_per_minute: int) -> float | None:
        """Spend one request; None when allowed, else the seconds until the next one would be."""
        now = time.monotonic()
        per_second = rate_per_minute / 60.0
        with self._lock:
            tokens, last = self._buckets.get(key, (float(rate_per_minute), now))
            tokens = min(float(rate_per_minute), tokens + (now - last) * per_second)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return (1.0 - tokens) / per_second
            self._buckets[key] = (tokens - 1.0, now)
            return None


@dataclass
class Access:
    """The service's access rules, shared by the API and the pages."""

    store: Store
    public_read: bool
    rate_per_minute: int
    limiter: RateLimiter
    _cache: dict[str, tuple[ApiTokenRow, float]]
    _cache_lock: threading.Lock

    @classmethod
    def create(cls, store: Store, public_read: bool, rate_per_minute: int) -> Access:
        """Rules over `store`'s tokens."""
        return cls(store, public_read, rate_per_minute, RateLimiter(), {}, threading.Lock())

    def token(self, request: Request) -> ApiTokenRow | None:
        """The live token the request carries; None when it carries none. A bad token is a 401, and a token
        over its rate a 429."""
        secret = _secret(request)
        if secret is None:
            return None
        row = self._verify(secret)
        if row is None:
            raise _unauthorized(request, "the API token is unknown or revoked")
        wait = self.limiter.take(row.id, row.rate_per_minute or self.rate_per_minute)
        if wait is not None:
            raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                                f"rate limit of {row.rate_per_minute or self.rate_per_minute} requests a minute "
                                f"reached; retry in {wait:.0f} s", headers={"Retry-After": str(max(1, round(wait)))})
        return row

    def require_token(self, request: Request) -> ApiTokenRow:
        """For anything that submits work."""
        row = self.token(request)
        if row is None:
            raise _unauthorized(request, "this needs an API token: `Authorization: Bearer <token>` "
                                "(an admin creates one with `kernelwright tokens create NAME`)")
        return row

    def read(self, request: Request) -> ApiTokenRow | None:
        """For pages and GET endpoints: public unless the service was started with private reads."""
        row = self.token(request)
        if row is None and not self.public_read:
            raise _unauthorized(request, "reads on this service need an API token")
        return row

    def _verify(self, secret: str) -> ApiTokenRow | None:
        now = time.monotonic()
        with self._cache_lock:
            hit = self._cache.get(secret)
        if hit is not None and hit[1] > now:
            return hit[0]
        row = self.store.verify_api_token(secret)
        with self._cache_lock:
            if row is None:
                self._cache.pop(secret, None)
            else:
                self._cache[secret] = (row, now + TOKEN_CACHE_S)
        return row


def _unauthorized(request: Request, detail: str) -> HTTPException:
    # Pages ask the browser for credentials (any user name, the token as password); the API asks for Bearer.
    challenge = "Bearer" if request.url.path.startswith("/v1/") else 'Basic realm="kernelwright", charset="UTF-8"'
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": challenge})
