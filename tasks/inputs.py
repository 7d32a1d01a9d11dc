"""Build a task's model and inputs the way the harness does: seeded, fresh, validated."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any

import torch

from kernelwright.tasks.errors import TaskLoadError


def _check_args(value: object, what: str, origin: str) -> list[Any]:
    if not isinstance(value, (list, tuple)):
        raise TaskLoadError(origin, f"{what} must return a list or tuple, got {type(value).__name__}")
    for item in value:
        if not isinstance(item, (torch.Tensor, int, float, bool, str, type(None), tuple, list)):
            raise TaskLoadError(origin, f"{what} returned an unsupported {type(item).__name__}")
    return list(value)


def init_inputs(module: ModuleType, origin: str) -> list[Any]:
    """`get_init_inputs()`, validated."""
    return _check_args(module.get_init_inputs(), "get_init_inputs()", origin)


def input_groups(module: ModuleType, seed: int, origin: str, first_only: bool = False) -> list[list[Any]]:
    """Inputs for one trial: group 0 is `get_inputs()`, then (unless `first_only`) each of `get_input_groups()`.

    Every call reseeds, so each trial sees fresh values that nobody showed the candidate beforehand.
    """
    torch.manual_seed(seed)
    groups = [_check_args(module.get_inputs(), "get_inputs()", origin)]
    extra = getattr(module, "get_input_groups", None)
    if callable(extra) and not first_only:
        more = extra()
        if not isinstance(more, (list, tuple)):
            raise TaskLoadError(origin, "get_input_groups() must return a list of input lists")
        groups += [_check_args(g, "get_input_groups() item", origin) for g in more]
    return groups


def build_model(cls: type, init: Sequence[Any], seed: int) -> torch.nn.Module:
    """Instantiate `cls(*init)` under a fixed seed so reference and candidate get equal weights."""
    torch.manual_seed(seed)
    model = cls(*init)
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{cls.__name__} is not a torch.nn.Module")
    return model.eval()


def outputs_as_list(out: object) -> list[object]:
    """A forward's result as a flat list (a single tensor becomes a one-element list)."""
    if isinstance(out, (list, tuple)):
        return list(out)
    return [out]
