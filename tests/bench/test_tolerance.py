"""KernelBench's tolerance (`--tolerance kernelbench`): the comparison it makes, how results and leaderboards name
it, `leaderboard --format kernelbench`, and `eval --tolerance` end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from kernelwright.agent.bench.config import Split
from kernelwright.agent.bench.metrics import RunMetrics, Sample, TaskOutcome, group_metrics
from kernelwright.db.enums import RunStatus
from kernelwright.evaluator.compare import KERNELBENCH_TOLERANCE, compare, tolerance_for
from kernelwright.evaluator.result import (
    HARNESS_VERSION,
    EvalResult,
    Reason,
    Stage,
    Status,
    ToleranceMode,
)
from kernelwright.tasks.model import Tolerance
from kernelwright.views.leaderboard import COLUMNS, Format, render, row_cells

TASK = '''import torch
import torch.nn as nn

N = 4096


class Model(nn.Module):
    def forward(self, x):
        return x * 2.0


def get_inputs():
    return [torch.randn(N)]


def get_init_inputs():
    return []
'''

# Off by 2e-3 everywhere: outside the strict 1e-4, inside KernelBench's 1e-2.
NEARLY = '''import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def forward(self, x):
        return x * 2.0 + 2e-3
'''


def test_kernelbench_tolerance_accepts_what_strict_rejects() -> None:
    expected = torch.randn(1000)
    got = expected + 2e-3
    assert compare(got, expected, Tolerance(), "out") is not None
    assert compare(got, expected, tolerance_for(Tolerance(), ToleranceMode.kernelbench), "out") is None
    assert compare(expected + 0.5, expected, KERNELBENCH_TOLERANCE, "out") is not None
    assert tolerance_for(Tolerance(atol=1e-3), ToleranceMode.task).atol == 1e-3


def test_results_carry_their_tolerance_in_a_field_and_a_plain_harness_version() -> None:
    result = EvalResult(status=Status.correct, reason=Reason.ok, stage=Stage.done, platform="cpu",
                        tolerance=ToleranceMode.kernelbench)
    assert result.harness_version == HARNESS_VERSION and result.tolerance is ToleranceMode.kernelbench
    assert EvalResult.model_validate_json(result.model_dump_json()).tolerance is ToleranceMode.kernelbench
    unjailed = EvalResult(status=Status.correct, reason=Reason.ok, stage=Stage.done, platform="cpu", jailed=False,
                          tolerance=ToleranceMode.kernelbench)
    assert unjailed.harness_version == HARNESS_VERSION
    # The display string names both, for people; nothing reads it back.
    assert unjailed.provenance == f"{HARNESS_VERSION}, unjailed, kernelbench tolerance"
    assert EvalResult(status=Status.correct, reason=Reason.ok, stage=Stage.done,
                      platform="cpu").provenance == HARNESS_VERSION


def _run(run_id: str, tolerance: ToleranceMode) -> RunMetrics:
    outcomes = [TaskOutcome(task_id=f"kernelbench/KB/level{lv}/{i}_T", category="math", level=lv, held_out=False,
                            samples=[Sample(trajectory=0, correct=ok, speedup=s)], correct=ok, speedup=s)
                for lv, i, ok, s in ((1, 1, True, 1.5), (1, 2, True, 0.8), (1, 3, False, None), (2, 1, True, 2.0))]
    by_level = {str(lv): group_metrics([o for o in outcomes if o.level == lv], 1) for lv in (1, 2)}
    return RunMetrics(run_id=run_id, status=RunStatus.finished, model="m", provider="p", platform="cuda",
                      hardware="H100", selection="suite imported", split=Split.all, samples=1, turns=1,
                      harness_versions=[HARNESS_VERSION], tolerance=tolerance, created_at="2026-11-30T00:00:00",
                      overall=group_metrics(outcomes, 1), by_category={"math": group_metrics(outcomes, 1)},
                      by_level=by_level, tasks=outcomes)


def test_leaderboard_rows_name_their_tolerance_and_the_kernelbench_format() -> None:
    run = _run("r1", ToleranceMode.kernelbench)
    assert row_cells(1, run, run.overall)[COLUMNS.index("tolerance")] == "kernelbench"
    board = json.loads(str(render([run], Format.json, "t", None)))
    assert board["runs"][0]["tolerance"] == "kernelbench"
    table = str(render([run, _run("r2", ToleranceMode.task)], Format.kernelbench, "t", None))
    lines = table.splitlines()
    assert "| run | model | platform | tolerance | level | tasks | fast_0 | fast_1 |" in lines
    assert "| r1 | m | cuda | kernelbench (atol=rtol=1e-2) | L1 | 3 | 67% | 33% |" in lines
    assert "| r1 | m | cuda | kernelbench (atol=rtol=1e-2) | L2 | 1 | 100% | 100% |" in lines
    assert any(line.startswith("| r2 | m | cuda | task (strict") for line in lines)


@pytest.mark.integration  # the CLI in a subprocess and a jailed evaluation
def test_eval_tolerance_kernelbench_end_to_end(tmp_path: Path) -> None:
    task, solution = tmp_path / "double.py", tmp_path / "nearly.py"
    task.write_text(TASK)
    solution.write_text(NEARLY)
    env = dict(os.environ, KERNELWRIGHT_HOME=str(tmp_path / "home"))

    def verdict(*extra: str) -> dict[str, object]:
        done = subprocess.run([sys.executable, "-m", "kernelwright.cli", "eval", str(task), str(solution), "--json",
                               "--no-store", "--allow-torch", "--trials", "1", *extra], capture_output=True, text=True,
                              env=env, timeout=600)
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))

    strict = verdict()
    assert strict["status"] == "incorrect" and strict["tolerance"] == "task"
    loose = verdict("--tolerance", "kernelbench")
    # The torch track's near-copy of the model times at about 1x: on a busy machine its interval may be wide.
    assert loose["status"] in ("correct", "unstable") and loose["tolerance"] == "kernelbench", loose
    assert loose["harness_version"] == HARNESS_VERSION
