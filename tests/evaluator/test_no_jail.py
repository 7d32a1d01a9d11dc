"""Where the jail cannot start, untrusted code is refused with what to do; `--unsafe-no-jail` runs it anyway, for
a trusted local user, and every result says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import kernelwright.evaluator.api as api
from kernelwright.evaluator.api import checked_task, evaluate, measure_baselines, probe
from kernelwright.evaluator.request import EvalOptions
from kernelwright.evaluator.result import HARNESS_VERSION, Reason, Status
from kernelwright.tasks.registry import example_solutions, resolve_task

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_jail(monkeypatch: pytest.MonkeyPatch) -> str:
    why = "bubblewrap could not create the jail (no user namespaces here)"
    monkeypatch.setattr(api, "jail_problem", lambda: why)
    return why


def test_without_a_jail_untrusted_code_is_refused(no_jail: str) -> None:
    task = resolve_task("activation/relu")
    source = example_solutions(task)["cpu"].read_text()
    result = evaluate(task, source, "cpu", EvalOptions(timing=False, correctness_trials=1))
    assert (result.status, result.reason) == (Status.build_error, Reason.no_jail)
    assert no_jail in result.message and "--unsafe-no-jail" in result.message
    assert not probe(task.model_copy(update={"source_hash": "0" * 64})).ok
    assert measure_baselines(task, "cpu").status.value == "error"


def test_unsafe_no_jail_runs_and_says_so(no_jail: str) -> None:
    options = EvalOptions(timing=False, correctness_trials=1, unsafe_no_jail=True)
    task = checked_task(resolve_task("activation/relu"), options=options)
    result = evaluate(task, example_solutions(task)["cpu"].read_text(), "cpu", options)
    assert result.status is Status.correct, result.message + result.log[-2000:]
    assert not result.jailed and result.harness_version == HARNESS_VERSION and "unjailed" in result.provenance


def test_the_cli_prints_unjailed_in_red(tmp_path: Path) -> None:
    env = dict(os.environ, KERNELWRIGHT_DB_URL=f"sqlite:///{tmp_path / 'kw.db'}", COLUMNS="120")
    cmd = [sys.executable, "-m", "kernelwright.cli", "eval", "activation/relu", "example", "--no-store",
           "--trials", "1", "--unsafe-no-jail"]
    table = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)
    assert table.returncode == 0, table.stderr
    assert "UNJAILED" in table.stdout and "--unsafe-no-jail" in table.stderr
    as_json = subprocess.run([*cmd, "--json"], capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)
    data = json.loads(as_json.stdout)
    assert data["jailed"] is False and data["harness_version"] == HARNESS_VERSION
