"""Child-process entry point of the task probe (`python -m tasks.probe`, JSON on stdin and stdout).

It imports the task, checks the return types of its functions, runs the reference on two seeds and
every input group, and reports degenerate outputs. Running in a child keeps a task that hangs or
crashes at import from taking the caller with it.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import traceback
from pathlib import Path

import torch

from tasks.degenerate import degenerate_reason
from tasks.errors import TaskLoadError
from tasks.inputs import build_model, init_inputs, input_groups, outputs_as_list
from tasks.model import Tolerance
from tasks.module import exec_module_from_source
from tasks.probe_result import ProbeResult


def _tensors(out: object, origin: str) -> list[torch.Tensor]:
    items = outputs_as_list(out)
    for item in items:
        if not isinstance(item, torch.Tensor):
            raise TaskLoadError(origin, f"Model.forward must return tensors, got {type(item).__name__}")
    return items  # type: ignore[return-value]


def probe(source: str, origin: str, tol: Tolerance, scratch: Path) -> ProbeResult:
    """Run every check on one task source; the task's module file is written under `scratch`."""
    try:
        module = exec_module_from_source(source, origin.rsplit("/", 1)[-1].removesuffix(".py"), scratch)
    except Exception as exc:  # noqa: BLE001 - any import failure is the task's problem, reported as such
        last = traceback.extract_tb(exc.__traceback__)[-1]
        raise TaskLoadError(origin, f"import failed at line {last.lineno}: {type(exc).__name__}: {exc}") from exc
    if not isinstance(getattr(module, "Model", None), type) or not issubclass(module.Model, torch.nn.Module):
        raise TaskLoadError(origin, "Model must be a torch.nn.Module subclass")
    torch.set_num_threads(1)
    try:
        model = build_model(module.Model, init_inputs(module, origin), seed=42)
        with torch.no_grad():
            groups_a = input_groups(module, 1, origin)
            groups_b = input_groups(module, 2, origin)
            out_a = [_tensors(model(*g), origin) for g in groups_a]
            out_b = _tensors(model(*groups_b[0]), origin)
            start = time.perf_counter()
            for _ in range(3):
                model(*groups_a[0])
            eager_ms = (time.perf_counter() - start) / 3 * 1e3
    except TaskLoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - a reference that cannot run is reported, not raised
        raise TaskLoadError(origin, f"running the reference failed: {type(exc).__name__}: {exc}") from exc
    reason = degenerate_reason(out_a[0], out_b, tol)
    if reason:
        raise TaskLoadError(origin, f"degenerate task: {reason}")
    # Any input tensor counts: an embedding's only input is integer ids.
    vary = any(
        isinstance(x, torch.Tensor) and x.shape == y.shape and not torch.equal(x, y)
        for x, y in zip(groups_a[0], groups_b[0])
    )
    return ProbeResult(
        ok=True,
        input_groups=len(groups_a),
        inputs_vary=vary,
        output_shapes=[list(t.shape) for t in out_a[0]],
        eager_ms=eager_ms,
    )


def main() -> None:
    req = json.loads(sys.stdin.read())
    try:
        with tempfile.TemporaryDirectory(prefix="kw_probe_") as scratch:
            result = probe(req["source"], req["origin"], Tolerance(**req["tolerance"]), Path(scratch))
    except TaskLoadError as exc:
        result = ProbeResult(ok=False, problem=exc.problem)
    sys.stdout.write("\n" + result.model_dump_json() + "\n")


if __name__ == "__main__":
    main()
