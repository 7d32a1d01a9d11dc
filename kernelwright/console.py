"""Shared console output for the command line: stdout for results, stderr for progress and errors.

Messages here may carry text from a candidate, a task file or a model endpoint: they are printed as `Text`
(kernelwright/views/safe_text.py), never as markup.
"""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.text import Text

from kernelwright.views.safe_text import untrusted

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


def warn(message: object) -> None:
    """A warning on stderr that the user should read before the run goes on."""
    err.print(Text.assemble(("warning:", "bold yellow"), " ", untrusted(message)), soft_wrap=True)


def error(message: object) -> None:
    """An error on stderr (the caller exits)."""
    err.print(Text.assemble(("error:", "bold red"), " ", untrusted(message)), soft_wrap=True)


def fail(message: str, as_json: bool = False) -> typer.Exit:
    """Bad usage or a bad input file: say so and return the exit (code 2) for the caller to raise."""
    if as_json:
        print(json.dumps({"error": message}))
    else:
        error(message)
    return typer.Exit(code=2)
