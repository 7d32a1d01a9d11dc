"""The evaluator: a pure function from (task, candidate source, platform) to an `EvalResult`.

Names are loaded lazily so that `db/`, which only needs the result models, does not import torch.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "evaluate": "evaluator.api",
    "measure_baselines": "evaluator.api",
    "probe": "evaluator.api",
    "checked_task": "evaluator.api",
    "BaselineResult": "evaluator.baseline_result",
    "BaselineStatus": "evaluator.baseline_result",
    "EvalOptions": "evaluator.request",
    "HARNESS_VERSION": "evaluator.result",
    "EvalResult": "evaluator.result",
    "Reason": "evaluator.result",
    "Stage": "evaluator.result",
    "Status": "evaluator.result",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'evaluator' has no attribute {name!r}")
