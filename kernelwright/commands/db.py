"""`kernelwright db`: the store's schema revision, and upgrading it on purpose (before starting services)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from alembic.util import CommandError
from rich.markup import escape
from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from kernelwright.commands.options import DbUrl
from kernelwright.console import err, fail, out
from kernelwright.db.engine import (
    current_revision,
    default_db_url,
    head_revision,
    make_engine,
    normalize_url,
    schema_mismatch,
    upgrade_schema,
)
from kernelwright.settings import Settings

app = typer.Typer(help="The store's schema: which revision it is at, and upgrading it.", no_args_is_help=True)


def _shown(revision: str | None) -> str:
    return revision or "none (empty database)"


@contextmanager
def _engine(db_url: str | None) -> Iterator[tuple[Engine, str]]:
    """An engine for the store URL, with the URL as it may be printed (password hidden).

    A malformed URL exits 2; a database that cannot be reached (or a missing driver) exits 1.
    """
    url = db_url or Settings().db_url or default_db_url()
    try:
        parsed = normalize_url(url)
    except ArgumentError as exc:
        raise fail(f"not a database URL: {exc}") from exc
    shown = parsed.render_as_string(hide_password=True)
    try:
        engine = make_engine(parsed)
    except ModuleNotFoundError as exc:
        err.print(f"[bold red]error:[/] {escape(shown)} needs the {exc.name} module: "
                  "pip install 'kernelwright[postgres]'", soft_wrap=True, highlight=False)
        raise typer.Exit(code=1) from exc
    try:
        yield engine, shown
    except SQLAlchemyError as exc:
        # The driver's own message (host, port, what failed) without SQLAlchemy's wrapping; never the password.
        reason = getattr(exc, "orig", None) or exc
        err.print(f"[bold red]error:[/] {escape(shown)}: {escape(str(reason))}", soft_wrap=True, highlight=False)
        raise typer.Exit(code=1) from exc
    finally:
        engine.dispose()


@app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Option(help="target revision")] = "head",
    db_url: DbUrl = None,
) -> None:
    """Upgrade the store's schema (run this before starting services on a new release)."""
    with _engine(db_url) as (engine, shown):
        before = current_revision(engine)
        try:
            upgrade_schema(engine, revision)
        except CommandError as exc:
            raise fail(f"cannot upgrade {shown} to {revision!r}: {exc}") from exc
        after = current_revision(engine)
    out.print(f"database: {escape(shown)}", soft_wrap=True, highlight=False)
    if before == after:
        out.print(f"already at {_shown(after)}", highlight=False)
    else:
        out.print(f"schema: {_shown(before)} -> {after}", highlight=False)


@app.command("current")
def db_current(db_url: DbUrl = None) -> None:
    """The revision the store's schema is at, and the one this Kernelwright needs."""
    with _engine(db_url) as (engine, shown):
        current = current_revision(engine)
        embedded = engine.dialect.name == "sqlite"
    head = head_revision()
    out.print(f"database: {escape(shown)}", soft_wrap=True, highlight=False)
    out.print(f"current: {_shown(current)}", highlight=False)
    out.print(f"head: {head}", highlight=False)
    if current != head:
        problem = schema_mismatch(current) or ""
        if embedded and "newer Kernelwright" not in problem:
            # SQLite stores are upgraded by every command that opens them; only services leave that to you.
            out.print("not at head yet: the next command that uses this store (optimize, bench, ...) upgrades it "
                      "itself", highlight=False)
        else:
            err.print(problem, highlight=False)
