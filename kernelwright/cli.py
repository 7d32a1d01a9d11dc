"""The `kernelwright` / `kw` command line: each command lives in `kernelwright/commands/`."""

from __future__ import annotations

import typer

from kernelwright.commands import evaluate, optimize, runs, tasks

app = typer.Typer(help="Kernelwright: LLM agents that write and verify fast kernels.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
app.command("eval")(evaluate.eval_cmd)
app.command("optimize")(optimize.optimize_cmd)
app.add_typer(tasks.app, name="tasks")
app.add_typer(runs.app, name="runs")


if __name__ == "__main__":
    app()
