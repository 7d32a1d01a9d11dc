"""Shared console output for the command line: stdout for results, stderr for progress and errors."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.markup import escape

out = Console()
err = Console(stderr=True)


def print_wide(renderable: object) -> None:
    """Print a wide table on stdout: a terminal's own width, or 160 columns when piped to a file or log."""
    if out.is_terminal:
        out.print(renderable)
        return
    # Rich caps `print(width=...)` at the console's width, so widen the console itself for this table.
    width = out.width
    out.width = max(width, 160)
    try:
        out.print(renderable)
    finally:
        out.width = width


def warn(message: str) -> None:
    """A warning on stderr that the user should read before the run goes on."""
    err.print(f"[bold yellow]warning:[/] {escape(message)}", soft_wrap=True, highlight=False)


def fail(message: str, as_json: bool = False) -> typer.Exit:
    """Bad usage or a bad input file: say so and return the exit (code 2) for the caller to raise."""
    if as_json:
        print(json.dumps({"error": message}))
    else:
        err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True, highlight=False)
    return typer.Exit(code=2)
