"""The FastAPI application: the JSON API (`/v1`), the web pages, and the limits around both.

`create_app()` builds it; the store is opened and Ray with its evaluators started when the app starts (its
lifespan), and both are closed when it stops, so `uvicorn`, `kernelwright serve` and tests run it the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from kernelwright.agent.evaluators import ClusterConfig
from kernelwright.db import Store
from kernelwright.db.engine import default_db_url, normalize_url
from kernelwright.server import api, apidocs, pages
from kernelwright.server.access import Access
from kernelwright.server.jobs import JobManager
from kernelwright.server.queries import TTLCache
from kernelwright.server.state import CACHE_TTL_S, ServiceState
from kernelwright.settings import ServeSettings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# Pages load only their own script, style and images.
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


class BodyLimit:
    """Refuse request bodies over `max_bytes` with 413: by Content-Length up front; a body without one is read
    (up to the limit) before the app sees it."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            if not length.isdigit() or int(length) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        buffered: list[Message] = []
        seen = 0
        while True:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse({"detail": f"request body over the limit of {self.max_bytes} bytes"},
                                status_code=413)
        await response(scope, receive, send)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "request"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request is not valid"


def create_app(settings: ServeSettings | None = None, db_url: str | None = None) -> FastAPI:
    """The service over the store at `db_url` (default: the user's store), with `settings` (default: from the
    environment)."""
    settings = settings or ServeSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The embedded SQLite store upgrades itself as every command's does; a shared PostgreSQL store is
        # upgraded by an operator (`kernelwright db upgrade`), never by a service starting.
        url = normalize_url(db_url or default_db_url())
        store = Store(url.render_as_string(hide_password=False), migrate=url.get_backend_name() == "sqlite")
        jobs = JobManager(store, ClusterConfig(address=settings.ray_address, workers=settings.workers),
                          settings.platform, settings.max_running_jobs)
        try:
            jobs.start()
            app.state.service = ServiceState(settings=settings, store=store,
                                             access=Access.create(store, settings.public_read,
                                                                  settings.rate_per_minute),
                                             jobs=jobs, cache=TTLCache(CACHE_TTL_S))
            yield
        finally:
            jobs.shutdown()
            store.close()

    app = FastAPI(title="Kernelwright", summary="LLM agents that write and verify fast kernels",
                  version="1", lifespan=lifespan, docs_url=None, redoc_url=None,
                  swagger_ui_oauth2_redirect_url=None)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _validation_message(exc)}, status_code=422)

    @app.middleware("http")
    async def _headers(request: Request, call_next: Callable[[Request], Awaitable[Any]]) -> Any:
        response = await call_next(request)
        # The docs pages run Swagger UI / ReDoc (our files, no inline script): they need inline styles and a
        # blob: worker; every other page gets the strict policy.
        if request.url.path in apidocs.DOCS_PATHS:
            response.headers.setdefault("content-security-policy", apidocs.DOCS_POLICY)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    app.include_router(api.router)
    pages.mount(app)
    apidocs.mount(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app
