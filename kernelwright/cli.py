"""The `kernelwright` / `kw` command line: each command lives in `kernelwright/commands/`.

Commands are registered lazily: a command's module (and with it torch, Ray, the store) is imported only when
that command runs or shows its own help, so `kernelwright --help` and `kernelwright tasks list` start fast.
The one-line help of each command is written here for the top-level listing; a test checks that it matches
the command's own.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from typer._click import Context as ClickContext  # Typer vendors click: its groups are typed with this Context
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class LazyCommand:
    """Where a command is defined (`module`, `attr`: a function, or a `typer.Typer` group) and its summary."""

    module: str
    attr: str
    summary: str


COMMANDS: dict[str, LazyCommand] = {
    "eval": LazyCommand("kernelwright.commands.evaluate", "eval_cmd",
                        "Evaluate SOLUTION on TASK: correctness, then speedup with a 95% interval."),
    "optimize": LazyCommand("kernelwright.commands.optimize", "optimize_cmd",
                            "Search for a faster kernel for OP: N trajectories x T turns, each candidate verified "
                            "and timed."),
    "port": LazyCommand("kernelwright.commands.port", "port_cmd",
                        "Port KERNEL to another platform: an optimize run on --to whose prompts start from KERNEL's "
                        "source, each candidate verified and timed there."),
    "bench": LazyCommand("kernelwright.commands.bench", "bench_cmd",
                         "Run every selected task (K samples x T turns each) and its baselines; prints the run's "
                         "leaderboard row."),
    "sweep": LazyCommand("kernelwright.commands.sweep", "sweep_cmd",
                         "Judge a stored kernel at each point of its task's shape sweep; the verdicts are stored "
                         "per point."),
    "export": LazyCommand("kernelwright.commands.export", "export_cmd",
                          "Write a pip-installable package registering the kernel as a torch custom op, with "
                          "dispatch and fallback."),
    "apply": LazyCommand("kernelwright.commands.apply", "apply_cmd",
                         "Swap an installed package's op into a model: check its outputs, time it end to end beside "
                         "the kernel alone."),
    "leaderboard": LazyCommand("kernelwright.commands.leaderboard", "leaderboard_cmd",
                               "Rank stored bench runs by fast_1, then geometric-mean speedup (with its 95% "
                               "interval)."),
    "report": LazyCommand("kernelwright.commands.report", "report_cmd",
                          "Write report.md and report.html with plots of speedup per category, fast_p over p and "
                          "speedup vs turn."),
    "rescore": LazyCommand("kernelwright.commands.rescore", "rescore_cmd",
                           "Re-evaluate the run's candidates judged by an older harness (all with --force); old "
                           "verdicts are kept."),
    "serve": LazyCommand("kernelwright.commands.serve", "serve_cmd",
                         "Serve the API (/v1, docs at /docs) and the web pages (/) until Ctrl-C; jobs left "
                         "running resume on the next start."),
    "info": LazyCommand("kernelwright.commands.info", "info_cmd",
                        "The settings in force (secrets masked), versions, platforms, and where the store and "
                        "caches are."),
    "tasks": LazyCommand("kernelwright.commands.tasks", "app",
                         "Browse the task suite; import KernelBench / MultiKernelBench / HPCTransEval checkouts."),
    "runs": LazyCommand("kernelwright.commands.runs", "app", "Browse stored runs."),
    "kernels": LazyCommand("kernelwright.commands.kernels", "app", "Stored kernels: their verdicts and shape sweeps."),
    "models": LazyCommand("kernelwright.commands.models", "app", "Base models to train from: list them, prepare one."),
    "traces": LazyCommand("kernelwright.commands.traces", "app", "Training data from stored traces."),
    "train": LazyCommand("kernelwright.commands.train", "app",
                         "Fine-tune the kernel-writing model from stored traces."),
    "db": LazyCommand("kernelwright.commands.db", "app",
                      "The store's schema: which revision it is at, and upgrading it."),
    "tokens": LazyCommand("kernelwright.commands.tokens", "app", "API tokens for `kernelwright serve`."),
}


def load_command(name: str) -> TyperCommand | TyperGroup:
    """Import command `name`'s module and build its click command (a group for a `typer.Typer`)."""
    spec = COMMANDS[name]
    target = getattr(importlib.import_module(spec.module), spec.attr)
    if isinstance(target, typer.Typer):
        command: TyperCommand | TyperGroup = typer.main.get_group(target)
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(target)
        built = typer.main.get_command(single)
        assert isinstance(built, TyperCommand)
        command = built
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """The top-level group: lists every command from `COMMANDS` and imports one only when it is used."""

    _listing = False

    def list_commands(self, ctx: ClickContext) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: ClickContext, cmd_name: str) -> TyperCommand | TyperGroup | None:
        if cmd_name not in COMMANDS:
            return None
        if self._listing:
            # The top-level help shows names and summaries only: no command module is imported for it.
            return TyperCommand(name=cmd_name, help=COMMANDS[cmd_name].summary)
        if cmd_name not in self.commands:
            self.commands[cmd_name] = load_command(cmd_name)
        found = self.commands[cmd_name]
        assert isinstance(found, (TyperCommand, TyperGroup))
        return found

    def format_help(self, ctx: ClickContext, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(cls=LazyGroup, help="Kernelwright: LLM agents that write and verify fast kernels.",
                  no_args_is_help=True, pretty_exceptions_enable=False)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"kernelwright {version('kernelwright')}")
        except PackageNotFoundError:
            typer.echo("kernelwright (not installed as a package)")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="print the version and exit (`kernelwright info` says more)")]
    = False,
) -> Any:
    """Kernelwright: LLM agents that write and verify fast kernels."""


if __name__ == "__main__":
    app()
