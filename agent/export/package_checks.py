"""The exported package's own check, copied verbatim into it as `tests/test_exported_op.py` (Kernelwright never
imports it).

For every sweep point its kernel passed, the op must match the task's reference on fresh inputs; where the kernel
was verified faster it must also have run (no fallback). The `timing` test times the op against the reference on
this machine and prints what it found (it asserts no speedup: `python -m <package>.check` says the same in full).
Run them with `python -m pytest` in the package's root after `pip install --no-build-isolation ".[test]"`.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
import torch

NAME = json.loads((Path(__file__).with_name("package.json")).read_text())["package"]
package = importlib.import_module(NAME)
runtime = importlib.import_module(f"{NAME}._runtime")


@pytest.mark.parametrize("point", runtime.SPEC["test_points"])
def test_the_op_matches_the_reference(point: str) -> None:
    task = runtime.point_task(point)
    torch.manual_seed(0)
    init = task.get_init_inputs()
    reference = task.Model(*init)
    exported = package.Module(*init)
    exported.reference.load_state_dict(reference.state_dict())
    inputs = task.get_inputs()
    package.reset_fallbacks()
    with torch.no_grad():
        got = exported(*inputs)
        want = reference(*inputs)
    tolerance = runtime.SPEC["tolerance"]
    torch.testing.assert_close(got, want, atol=tolerance["atol"], rtol=tolerance["rtol"])
    if point in runtime.SPEC["faster_points"]:
        assert package.fallback_count() == 0, package.fallback_reasons()


@pytest.mark.timing
def test_the_speedup_here_is_measured_and_reported() -> None:
    check = importlib.import_module(f"{NAME}.check")
    result = check.measure(rounds=5)
    low, high = result["interval"]
    assert low <= result["speedup"] <= high
    print(check.report(result))
