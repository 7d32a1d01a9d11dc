"""The exported package's own check, copied verbatim into it as `tests/test_exported_op.py`
(Kernelwright never imports it).

For every sweep point its kernel passed, the op must match the task's reference on fresh inputs; where the kernel
was verified faster it must also have run (no fallback). Run it with `pytest` after installing the package.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest
import torch

HERE = Path(__file__).parent
SPEC = json.loads((HERE / "export.json").read_text())
package = importlib.import_module(SPEC["package"])


def _task_at(point: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"point_{point}", HERE / "points" / f"{point}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("point", SPEC["test_points"])
def test_the_op_matches_the_reference(point: str) -> None:
    task = _task_at(point)
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
    tolerance = SPEC["tolerance"]
    torch.testing.assert_close(got, want, atol=tolerance["atol"], rtol=tolerance["rtol"])
    if point in SPEC["faster_points"]:
        assert package.fallback_count() == 0, package.fallback_reasons()
