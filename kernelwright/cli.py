"""The `kernelwright` / `kw` command line: each command lives in `kernelwright/commands/`."""

from __future__ import annotations

import typer

from kernelwright.commands import (
    bench,
    db,
    evaluate,
    leaderboard,
    optimize,
    report,
    rescore,
    runs,
    serve,
    tasks,
    tokens,
    traces,
    train,
)

app = typer.Typer(help="Kernelwright: LLM agents that write and verify fast kernels.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
app.command("eval")(evaluate.eval_cmd)
app.command("optimize")(optimize.optimize_cmd)
app.command("bench")(bench.bench_cmd)
app.command("leaderboard")(leaderboard.leaderboard_cmd)
app.command("report")(report.report_cmd)
app.command("rescore")(rescore.rescore_cmd)
app.command("serve")(serve.serve_cmd)
app.add_typer(tasks.app, name="tasks")
app.add_typer(runs.app, name="runs")
app.add_typer(traces.app, name="traces")
app.add_typer(train.app, name="train")
app.add_typer(db.app, name="db")
app.add_typer(tokens.app, name="tokens")


if __name__ == "__main__":
    app()
