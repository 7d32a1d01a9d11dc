"""Shared console output for the command line: stdout for results, stderr for progress and errors.

Messages here may carry text from a candidate, a task file or a model endpoint: they are printed as `Text`
(kernelwright/views/safe_text.py), never as markup.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import Enum

import typer
from rich.console import Console
from rich.text import Text

from kernelwright.views.safe_text import untrusted

out = Console()
err = Console(stderr=True)


# Piped with no COLUMNS, tables are laid out this wide: every row on one line, nothing cut or wrapped.
UNBOUNDED = 100_000


class TableFormat(str, Enum):
    """How a command whose answer is a table prints it."""

    table = "table"
    json = "json"
    csv = "csv"


def layout_width() -> int | None:
    """The width to lay tables out in: `COLUMNS` when set (read now, not when the console was made), else the
    terminal's; None when stdout is piped and `COLUMNS` is not set (print plain, unwrapped lines)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return out.width if out.is_terminal else None


@contextmanager
def laid_out() -> Iterator[int]:
    """`out` at the layout width for the block (`UNBOUNDED` when piped with no `COLUMNS`); yields that width."""
    width = layout_width() or UNBOUNDED
    # Rich caps `print(width=...)` at the console's width, so set the console's own width for the block.
    saved = out.width
    out.width = width
    try:
        yield width
    finally:
        out.width = saved


def print_wide(renderable: object) -> None:
    """Print a table on stdout: in the terminal's width (or `COLUMNS`), or unwrapped when piped."""
    with laid_out():
        out.print(renderable)


def print_pairs(title: str | None, pairs: Sequence[tuple[str, str]]) -> None:
    """`key  value` lines, keys aligned: a value is never wrapped, cut or split (a path or a URL stays one line
    that copies whole; a terminal folds it only on screen). Values may come from files: shown as text."""
    if title:
        out.print(Text(title, style="bold"))
    pad = max((len(key) for key, _ in pairs), default=0)
    for key, value in pairs:
        out.print(Text.assemble((key.ljust(pad), "bold cyan"), "  ", untrusted(value)), soft_wrap=True)


def print_rows(fmt: TableFormat, headers: list[str], rows: list[list[str]]) -> bool:
    """Print `rows` as JSON (one object per row, in a list) or CSV and return True; False for `table` (the
    caller prints its own table)."""
    if fmt is TableFormat.json:
        print(json.dumps([dict(zip(headers, row)) for row in rows]))
    elif fmt is TableFormat.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows(rows)
        print(buffer.getvalue(), end="")
    return fmt is not TableFormat.table


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
