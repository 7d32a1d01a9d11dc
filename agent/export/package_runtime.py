"""The runtime of an exported kernel package, copied verbatim into it as `_runtime.py`.

It depends on torch alone. `export.json` beside it says which kernel serves which device and where (the envelope
its sweep verified); the op `torch.ops.<namespace>.<name>` runs that kernel inside its envelope where it was
verified faster, and the task's reference everywhere else, counting each such fallback and why. The backward is
the reference's own, on the saved inputs. Nothing here is imported by Kernelwright itself.
"""

from __future__ import annotations

import importlib
import itertools
import json
import math
import threading
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
import torch.utils.cpp_extension as cpp_extension
from torch import nn
from torch.func import functional_call

PACKAGE = __name__.rpartition(".")[0]
SPEC: dict[str, Any] = json.loads((Path(__file__).with_name("export.json")).read_text())

_lock = threading.Lock()
_fallbacks: Counter[str] = Counter()
_kernel_calls = [0]
_instances: dict[int, tuple[nn.Module, dict[str, nn.Module], list[str]]] = {}
_instance_ids = itertools.count(1)


def fallback_count() -> int:
    """How many calls ran the reference instead of a kernel, in this process."""
    with _lock:
        return sum(_fallbacks.values())


def fallback_reasons() -> dict[str, int]:
    """The fallbacks by reason (init, device, dtype, rank, contiguity, size, alignment, shape, not_faster)."""
    with _lock:
        return dict(_fallbacks)


def kernel_calls() -> int:
    """How many calls ran a kernel, in this process (since the last `reset_fallbacks`)."""
    with _lock:
        return _kernel_calls[0]


def reset_fallbacks() -> None:
    """Start counting fallbacks (and kernel calls) from zero."""
    with _lock:
        _fallbacks.clear()
        _kernel_calls[0] = 0


def build_info() -> dict[str, Any]:
    """How this install compiled the kernel: with the flags the evaluator measured or portable, and whether the
    speedup was measured on this CPU (written by the package's setup.py)."""
    info: dict[str, Any] = json.loads(Path(__file__).with_name("build_info.json").read_text())
    return info


def point_task(point: str) -> ModuleType:
    """The task's module at one sweep point the kernel passed (its constants at that point's sizes)."""
    return importlib.import_module(f"{PACKAGE}._points.{point}")


def _tested_init(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether the constructor's arguments are ones the sweep verified the kernel with (the kernel may bake them
    in: a pooling kernel written for a window of 3 is not one for a window of 5)."""
    if kwargs:
        return False
    for point in SPEC["test_points"]:
        tested = point_task(point).get_init_inputs()
        if len(tested) == len(args) and all(type(a) is type(b) and not isinstance(a, torch.Tensor) and a == b
                                            for a, b in zip(args, tested)):
            return True
    return False


def _import_kernel(module: str) -> ModuleType:
    """Import a kernel file with `load_inline` answering from the extensions built at install time."""
    original = cpp_extension.load_inline

    def prebuilt(name: str, *args: Any, **kwargs: Any) -> ModuleType:
        return importlib.import_module(f"{PACKAGE}.{SPEC['extensions'][name]}")

    cpp_extension.load_inline = prebuilt
    try:
        return importlib.import_module(f"{PACKAGE}.{module}")
    finally:
        cpp_extension.load_inline = original


def _outside(xs: list[torch.Tensor], envelope: dict[str, Any]) -> str | None:
    """Why these inputs are outside the verified envelope (the reason a fallback is counted under), or None."""
    if envelope["exact_shapes"] == [] or len(xs) != len(envelope["ranks"]):
        return "shape"
    for x, dtype, rank, low, high, multiple in zip(xs, envelope["dtypes"], envelope["ranks"], envelope["dim_low"],
                                                   envelope["dim_high"], envelope["multiple_of"]):
        if str(x.dtype).removeprefix("torch.") != dtype:
            return "dtype"
        if x.dim() != rank:
            return "rank"
        if not x.is_contiguous():
            return "contiguity"
        if any(not lo <= size <= hi for size, lo, hi in zip(x.shape, low, high)):
            return "size"
        if any(size % m for size, m in zip(x.shape, multiple)):
            return "alignment"
    if envelope["exact_shapes"] is not None and [list(x.shape) for x in xs] not in envelope["exact_shapes"]:
        return "shape"
    numel = sum(math.prod(x.shape) for x in xs)
    for bucket in envelope["buckets"]:
        if bucket["low"] <= numel <= bucket["high"]:
            return None if bucket["use_kernel"] else "not_faster"
    return "size"


def _params(names: list[str], params: list[torch.Tensor]) -> dict[str, torch.Tensor]:
    return dict(zip(names, params))


def _fresh(out: torch.Tensor, given: list[torch.Tensor]) -> torch.Tensor:
    """`out`, copied when it shares memory with an input (a custom op may not return an alias)."""
    storage = out.untyped_storage().data_ptr()
    return out.clone() if any(t.untyped_storage().data_ptr() == storage for t in given) else out


@torch.library.custom_op(f"{SPEC['namespace']}::{SPEC['op']}", mutates_args=())
def op(xs: list[torch.Tensor], params: list[torch.Tensor], instance: int) -> torch.Tensor:
    """The exported operator: the kernel inside its envelope, the reference elsewhere."""
    reference, kernels, names = _instances[instance]
    device = xs[0].device.type if xs else "cpu"
    kernel = kernels.get(device)
    why: str | None
    if kernel is None:
        why = "device" if kernels else "init"
    else:
        why = _outside(xs, SPEC["kernels"][device]["envelope"])
    if why is not None or kernel is None:
        with _lock:
            _fallbacks[why or "device"] += 1
        return _fresh(functional_call(reference, _params(names, params), tuple(xs)), xs + params)
    with _lock:
        _kernel_calls[0] += 1
    return _fresh(functional_call(kernel, _params(names, params), tuple(xs)), xs + params)


@op.register_fake
def _fake(xs: list[torch.Tensor], params: list[torch.Tensor], instance: int) -> torch.Tensor:
    reference, _, names = _instances[instance]
    return functional_call(reference, _params(names, params), tuple(xs))


def _setup_context(ctx: Any, inputs: tuple[Any, ...], output: torch.Tensor) -> None:
    xs, params, instance = inputs
    ctx.n_inputs = len(xs)
    ctx.instance = instance
    ctx.save_for_backward(*xs, *params)


def _backward(ctx: Any, grad: torch.Tensor) -> tuple[list[torch.Tensor | None], list[torch.Tensor | None], None]:
    """The reference's backward on the saved inputs: right for any kernel that is right forward."""
    reference, _, names = _instances[ctx.instance]
    saved = ctx.saved_tensors
    leaves = [t.detach().requires_grad_(t.is_floating_point()) for t in saved]
    with torch.enable_grad():
        out = functional_call(reference, _params(names, leaves[ctx.n_inputs:]), tuple(leaves[:ctx.n_inputs]))
        wanted = [t for t in leaves if t.requires_grad]
        grads = iter(torch.autograd.grad(out, wanted, grad, allow_unused=True))
    per_leaf = [next(grads) if t.requires_grad else None for t in leaves]
    return per_leaf[:ctx.n_inputs], per_leaf[ctx.n_inputs:], None


op.register_autograd(_backward, setup_context=_setup_context)

_kernel_classes = {device: _import_kernel(info["module"]).ModelNew
                   for device, info in SPEC["kernels"].items()}
_reference_module = importlib.import_module(f"{PACKAGE}._reference")


class Module(nn.Module):
    """A drop-in for the task's `Model`: the same constructor and forward, running the exported op."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.reference = _reference_module.Model(*args, **kwargs)
        state = self.reference.state_dict()
        kernels: dict[str, nn.Module] = {}
        # Constructor arguments the sweep never saw: the reference serves every call ("init" fallbacks).
        for device, cls in _kernel_classes.items() if _tested_init(args, kwargs) else ():
            kernel = cls(*args, **kwargs)
            if set(kernel.state_dict()) != set(state):
                raise RuntimeError(f"the {device} kernel's parameters are named {sorted(kernel.state_dict())}, "
                                   f"the reference's {sorted(state)}: they cannot share weights")
            kernel.load_state_dict(state)
            kernels[device] = kernel
        self._names = [name for name, _ in self.reference.named_parameters()] + \
                      [name for name, _ in self.reference.named_buffers()]
        self._instance = next(_instance_ids)
        _instances[self._instance] = (self.reference, kernels, self._names)

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        """The op on `xs`, with this module's parameters and buffers."""
        tensors = dict(self.reference.named_parameters())
        tensors.update(dict(self.reference.named_buffers()))
        return op(list(xs), [tensors[name] for name in self._names], self._instance)
