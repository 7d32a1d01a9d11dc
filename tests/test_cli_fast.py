"""The fast loop: `--help` and `tasks list` import no command they do not run, and never torch."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from kernelwright.cli import COMMANDS, app, load_command


def imported_modules(*args: str) -> set[str]:
    """Modules the real CLI imports for `args` (from Python's -X importtime report on stderr)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "kernelwright.cli", *args],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}


@pytest.mark.parametrize("args", [("--help",), ("tasks", "list"), ("tasks", "--help")])
def test_help_and_listing_import_no_torch(args: tuple[str, ...]) -> None:
    modules = imported_modules(*args)
    assert "torch" not in modules
    assert "ray" not in modules
    assert "kernelwright.commands.optimize" not in modules


def test_top_level_help_lists_every_command_without_loading_it() -> None:
    result = CliRunner().invoke(app, ["--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    for name in COMMANDS:
        assert name in result.output


@pytest.mark.parametrize("name", list(COMMANDS))
def test_listed_summary_is_the_command_s_own_help(name: str) -> None:
    command = load_command(name)
    assert " ".join((command.help or "").split()).startswith(COMMANDS[name].summary)


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["optimise"])
    assert result.exit_code == 2
