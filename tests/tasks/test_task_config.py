"""A KernelBench fork's `TASK_CONFIG` (tasks/task_config.py): its atol/rtol are the task's tolerance, read as a literal
without running the file; what Kernelwright does not apply is named in the task's notes, never dropped silently."""

from __future__ import annotations

from pathlib import Path

import torch

from kernelwright.evaluator.compare import KERNELBENCH_TOLERANCE, tolerance_for
from kernelwright.evaluator.result import ToleranceMode
from kernelwright.tasks.degenerate import degenerate_reason
from kernelwright.tasks.loader import parse_task
from kernelwright.tasks.model import Tolerance

TASK = '''import torch
import torch.nn as nn

{config}

class Model(nn.Module):
    def forward(self, x):
        return x * 1e-5


batch_size = 16
dim = 4096


def get_inputs(**kwargs):
    return [torch.randn(batch_size, dim)]


def get_init_inputs():
    return []
'''

LOG_DOMAIN = "TASK_CONFIG = {\n    'comparison_mode': 'log_domain',\n    'atol': 1e-7,\n    'rtol': 1e-3,\n}\n"


def _parsed(config: str) -> tuple[Tolerance, str, list[str]]:
    task = parse_task(TASK.format(config=config), "t.py", task_id="kernelbench/x/level1/23_Tiny")
    return task.tolerance, task.tolerance_from, task.notes


def test_atol_and_rtol_are_the_tasks_tolerance_and_an_unimplemented_mode_is_named() -> None:
    tolerance, source, notes = _parsed(LOG_DOMAIN)
    assert (tolerance.atol, tolerance.rtol, tolerance.max_relative_l2) == (1e-7, 1e-3, 1e-2)
    assert source == "TASK_CONFIG"
    assert len(notes) == 1 and "comparison_mode 'log_domain' is not implemented" in notes[0]


def test_the_default_mode_is_what_kernelwright_does_and_needs_no_note() -> None:
    tolerance, source, notes = _parsed("TASK_CONFIG = {'comparison_mode': 'default', 'atol': 1e-3}\n")
    assert (tolerance.atol, tolerance.rtol, source, notes) == (1e-3, 1e-4, "TASK_CONFIG", [])
    assert _parsed("") == (Tolerance(), "default", [])


def test_unknown_keys_bad_values_and_a_tolerance_of_our_own_are_said() -> None:
    tolerance, source, notes = _parsed("TASK_CONFIG = {'atol': -1.0, 'rtol': 'tight', 'seed_inputs': True}\n")
    assert tolerance == Tolerance() and source == "default"
    assert any("atol -1.0 is not a non-negative number" in n for n in notes)
    assert any("rtol 'tight'" in n for n in notes)
    assert any("keys not implemented (ignored): 'seed_inputs'" in n for n in notes)
    tolerance, source, notes = _parsed(LOG_DOMAIN + 'TOLERANCE = {"atol": 1e-6, "rtol": 1e-6}\n')
    assert (tolerance.atol, source) == (1e-6, "TOLERANCE")
    assert any("the file's TOLERANCE sets the tolerance" in n for n in notes)


def test_a_config_that_is_not_a_literal_is_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    config = f"TASK_CONFIG = {{'atol': __import__('pathlib').Path({str(marker)!r}).touch() or 1e-7}}\n"
    tolerance, source, notes = _parsed(config)
    assert not marker.exists()
    assert tolerance == Tolerance() and source == "default" and "not a literal dict" in notes[0]


def test_the_degenerate_check_and_kernelbench_mode_use_it_coherently() -> None:
    # Outputs of about 1e-5 are within the default atol of 1e-4 of all zeros, so without its own tolerance the
    # task would be refused; at the atol of 1e-7 its TASK_CONFIG asks for, it is a task.
    torch.manual_seed(0)
    first, second = torch.randn(16, 4096) * 1e-5, torch.randn(16, 4096) * 1e-5
    tolerance, _, _ = _parsed(LOG_DOMAIN)
    assert degenerate_reason([first], [second], tolerance) is None
    assert "within tolerance of all zeros" in (degenerate_reason([first], [second], Tolerance()) or "")
    # --tolerance kernelbench is KernelBench's own check (atol = rtol = 1e-2) for every task, TASK_CONFIG or not.
    assert tolerance_for(tolerance, ToleranceMode.kernelbench) == KERNELBENCH_TOLERANCE
    assert tolerance_for(tolerance, ToleranceMode.task) == tolerance
