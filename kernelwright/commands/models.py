"""`kernelwright models list|prepare`: the named base models, and converting one into a model folder."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from kernelwright.agent.models import BASES, base_path, is_prepared, models_dir, prepare
from kernelwright.commands import options as opt
from kernelwright.console import err, out, print_wide
from kernelwright.console import fail as _fail
from kernelwright.views.safe_text import untrusted

app = typer.Typer(help="Base models to train from: list them, prepare one.", no_args_is_help=True)


@app.command("list")
def list_cmd(as_json: Annotated[bool, opt.json_flag("print the list as JSON")] = False) -> None:
    """The known base models, whether each is prepared, and where."""
    rows = [{"name": spec.name, "prepared": is_prepared(spec.name), "path": str(base_path(spec.name)),
             "package": spec.package, "description": spec.description} for spec in BASES.values()]
    if as_json:
        print(json.dumps(rows))
        return
    table = Table(title=f"base models ({models_dir()})")
    for column in ("name", "prepared", "path", "description"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row["name"]), "yes" if row["prepared"] else "no", str(row["path"]),
                      str(row["description"]))
    print_wide(table)
    if not all(row["prepared"] for row in rows):
        out.print("prepare one with `kernelwright models prepare NAME`; a prepared name is taken wherever a model "
                  "folder is (train sft|grpo --model NAME, --provider local:NAME)", soft_wrap=True, highlight=False)


@app.command("prepare")
def prepare_cmd(
    name: Annotated[str, typer.Argument(help="a base model's name (see `kernelwright models list`)")],
    force: Annotated[bool, typer.Option("--force", help="convert again over a prepared folder")] = False,
) -> None:
    """Convert a packaged base model once into a Hugging Face folder under the user data dir."""
    try:
        path = prepare(name, progress=lambda line: err.print(untrusted(line), soft_wrap=True), force=force)
    except (ValueError, OSError) as exc:  # a ModelNotFound too
        raise _fail(str(exc)) from exc
    out.print(untrusted(str(path)), soft_wrap=True)
