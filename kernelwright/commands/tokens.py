"""`kernelwright tokens`: API tokens for `kernelwright serve` (create, list, revoke)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from kernelwright.commands import options as opt
from kernelwright.console import err, out
from kernelwright.db import Store
from kernelwright.db.rows import ApiTokenRow
from kernelwright.settings import Settings

app = typer.Typer(help="API tokens for `kernelwright serve`.", no_args_is_help=True)


def _store(db_url: str | None) -> Store:
    return Store(db_url or Settings().db_url)


def _error(message: str) -> typer.Exit:
    """A request the store cannot honour (a taken or unknown name): say so, exit 1."""
    err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True, highlight=False)
    return typer.Exit(code=1)


def _when(value: datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M")


def _as_json(token: ApiTokenRow) -> dict[str, object]:
    return {
        "name": token.name,
        "prefix": token.prefix,
        "rate_per_minute": token.rate_per_minute,
        "created_at": token.created_at.isoformat(),
        "last_used_at": None if token.last_used_at is None else token.last_used_at.isoformat(),
        "revoked_at": None if token.revoked_at is None else token.revoked_at.isoformat(),
    }


@app.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="a unique name: who or what uses the token")],
    rate_per_minute: Annotated[int | None, typer.Option(min=1, help="requests per minute for this token "
                                                        "(default: the server's limit)")] = None,
    db_url: opt.DbUrl = None,
) -> None:
    """Create a token and print its secret, alone on stdout (`TOKEN=$(kernelwright tokens create NAME)`)."""
    with _store(db_url) as store:
        try:
            token, secret = store.create_api_token(name, rate_per_minute)
        except ValueError as exc:
            raise _error(str(exc)) from exc
    # Plain print: the secret must reach a pipe or a terminal unwrapped and unstyled.
    print(secret)
    err.print(f"created token {escape(token.name)!r} ({escape(token.prefix)}…); its secret is shown only now, "
              "and only its hash is stored", soft_wrap=True, highlight=False)


@app.command("list")
def tokens_list(
    as_json: Annotated[bool, opt.json_flag("print a JSON list")] = False,
    db_url: opt.DbUrl = None,
) -> None:
    """Every token, newest first, revoked ones included (secrets are never shown again)."""
    with _store(db_url) as store:
        tokens = store.list_api_tokens()
    if as_json:
        print(json.dumps([_as_json(token) for token in tokens]))
        return
    table = Table(title=f"{len(tokens)} API token{'s' if len(tokens) != 1 else ''} (newest first)")
    # "default" rate: the server's limit applies to this token.
    for col in ("name", "prefix", "rate/min", "created", "last used", "revoked"):
        table.add_column(col, no_wrap=col in ("name", "prefix"))
    for token in tokens:
        rate = "default" if token.rate_per_minute is None else str(token.rate_per_minute)
        table.add_row(escape(token.name), f"{escape(token.prefix)}…", rate, _when(token.created_at),
                      _when(token.last_used_at), _when(token.revoked_at))
    out.print(table)


@app.command("revoke")
def tokens_revoke(
    name: Annotated[str, typer.Argument(help="the token's name (see `tokens list`)")],
    db_url: opt.DbUrl = None,
) -> None:
    """Revoke a token: requests carrying it are refused from now on."""
    with _store(db_url) as store:
        revoked = store.revoke_api_token(name)
    if not revoked:
        raise _error(f"no live API token named {name!r} (see `kernelwright tokens list`)")
    out.print(f"revoked token {escape(name)!r}", highlight=False)
