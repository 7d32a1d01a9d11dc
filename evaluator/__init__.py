"""The evaluator: a pure function from (task, candidate source, platform) to an `EvalResult`.

Names are loaded lazily so that `db/`, which only needs the result models, does not import torch.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "evaluate": "kernelwright.evaluator.api",
    "measure_baselines": "kernelwright.evaluator.api",
    "probe": "kernelwright.evaluator.api",
    "checked_task": "kernelwright.evaluator.api",
    "BaselineResult": "kernelwright.evaluator.baseline_result",
    "BaselineStatus": "kernelwright.evaluator.baseline_result",
    "EvalOptions": "kernelwright.evaluator.request",
    "HARNESS_VERSION": "kernelwright.evaluator.result",
    "EvalResult": "kernelwright.evaluator.result",
    "Reason": "kernelwright.evaluator.result",
    "Stage": "kernelwright.evaluator.result",
    "Status": "kernelwright.evaluator.result",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'kernelwright.evaluator' has no attribute {name!r}")
