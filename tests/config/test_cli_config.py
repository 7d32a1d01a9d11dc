"""--config on each of the five commands: a bad file stops the command before anything starts, naming the
file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from kernelwright.cli import app


@pytest.mark.parametrize("command", [["optimize"], ["bench"], ["train", "sft"], ["train", "grpo"], ["serve"]])
def test_a_bad_key_stops_the_command_with_file_and_line(command: list[str], tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("# a comment\nplatfrom: cpu\n")
    result = CliRunner().invoke(app, [*command, "--config", str(path), "--db-url", f"sqlite:///{tmp_path / 'k.db'}"]
                                if command != ["train", "sft"] else [*command, "--config", str(path)])
    assert result.exit_code == 2, result.output
    assert f"{path}:2: platfrom: unknown key" in result.output


def test_resume_takes_no_config(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("task: activation/relu\n")
    result = CliRunner().invoke(app, ["optimize", "--resume", "abc", "--config", str(path)])
    assert result.exit_code == 2 and "--resume" in result.output


@pytest.mark.integration  # the operator is probed in a child process first
def test_examples_without_a_shipped_example_fails_before_ray(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["optimize", "activation/elu", "--provider", "examples", "--db-url",
                                      f"sqlite:///{tmp_path / 'k.db'}"])
    assert result.exit_code == 2
    assert "no shipped example for activation/elu on cpu" in result.output
