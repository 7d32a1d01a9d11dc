"""Layers of a command's configuration: option defaults, then the file, then the options given."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from typer.testing import CliRunner

from kernelwright.commands import bench, optimize
from kernelwright.commands import options as opt
from kernelwright.config.commands import BenchCommand, OptimizeCommand
from kernelwright.config.files import ConfigError
from kernelwright.config.options import ConfigPath, command_config

KEYS = {"op": "task", "turns": "search.turns", "trials": "eval.correctness_trials", "provider": "provider.name"}


def _app(seen: list[OptimizeCommand]) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def run(ctx: typer.Context, op: Annotated[str | None, typer.Argument()] = None, config_file: ConfigPath = None,
            turns: int = 4, trials: int = 3, provider: str = "openai") -> None:
        try:
            seen.append(command_config(ctx, OptimizeCommand, KEYS, config_file))
        except ConfigError as exc:
            typer.echo(str(exc))
            raise typer.Exit(2) from exc

    return app


def test_file_beats_defaults_and_given_options_beat_the_file(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("task: activation/relu\nsearch:\n  turns: 7\n  trajectories: 5\neval:\n  correctness_trials: 2\n")
    seen: list[OptimizeCommand] = []
    result = CliRunner().invoke(_app(seen), ["--config", str(path), "--trials", "1"])
    assert result.exit_code == 0, result.output
    (command,) = seen
    assert command.task == "activation/relu"
    assert command.search.turns == 7 and command.search.trajectories == 5  # from the file
    assert command.eval.correctness_trials == 1  # given on the command line
    assert command.provider.name == "openai"  # the option's default, untouched by the file


def test_without_a_file_the_options_are_the_configuration() -> None:
    seen: list[OptimizeCommand] = []
    result = CliRunner().invoke(_app(seen), ["pooling/max_pool2d", "--provider", "examples"])
    assert result.exit_code == 0, result.output
    assert seen[0].task == "pooling/max_pool2d" and seen[0].provider.model == "examples"
    assert seen[0].search.turns == 4


def test_a_bad_option_value_is_blamed_on_the_option(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("task: activation/relu\n")
    result = CliRunner().invoke(_app([]), ["--config", str(path), "--trials", "0"])
    assert result.exit_code == 2
    assert "--trials: eval.correctness_trials: Input should be greater than or equal to 1" in result.output



def _strategy_app(model: type[OptimizeCommand] | type[BenchCommand], keys: dict[str, str],
                  seen: list[OptimizeCommand | BenchCommand]) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def run(ctx: typer.Context, config_file: ConfigPath = None, strategy: opt.Strategy = "parallel") -> None:
        try:
            seen.append(command_config(ctx, model, keys, config_file))
        except ConfigError as exc:
            typer.echo(str(exc))
            raise typer.Exit(2) from exc

    return app


def test_the_strategy_comes_from_the_file_or_from_strategy_on_optimize_and_bench(tmp_path: Path) -> None:
    cases = ((OptimizeCommand, optimize.KEYS, "task: activation/relu\n"), (BenchCommand, bench.KEYS, ""))
    for model, keys, head in cases:
        path = tmp_path / "run.yaml"
        path.write_text(f"{head}search:\n  strategy: tree\n")
        seen: list[OptimizeCommand | BenchCommand] = []
        for args in (["--config", str(path)], ["--config", str(path), "--strategy", "evolution"]):
            result = CliRunner().invoke(_strategy_app(model, keys, seen), args)
            assert result.exit_code == 0, result.output
        assert [c.search.strategy for c in seen] == ["tree", "evolution"]  # the file's, then the option's
        bad = CliRunner().invoke(_strategy_app(model, keys, []), ["--config", str(path), "--strategy", "beam"])
        assert bad.exit_code == 2
        assert "--strategy: search.strategy:" in bad.output and "unknown search strategy 'beam'" in bad.output
