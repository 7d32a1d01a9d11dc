"""A tripwire: the candidate must leave torch and the runner as it found them (docs/reward-hacks.md rows 6, 11, 12).

The reference runs in another process and the judge compares in a third, so a candidate that rebinds
`torch.relu`, registers its own kernel for `aten::relu`, installs a global TorchFunctionMode or module forward
hook, or changes the default dtype can no longer change what the reference returns. What it still tells us is
intent: code that tampers with torch's global state to make its numbers look right gets an early, explained
rejection. Static rules ban the obvious spellings; this snapshot, taken in the candidate's runner before any
candidate code runs, catches the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

import torch
import torch.nn.functional as F
from torch.nn.modules import module as nn_module
from torch.utils._python_dispatch import TorchDispatchMode

# Namespaces a reference resolves its operators through. For classes, new attributes count too
# (`torch.Tensor.relu = f` shadows the C method); for modules only replaced ones (torch adds lazily).
_TORCH_CLASSES: tuple[type, ...] = (torch.Tensor, torch._C.TensorBase, torch.nn.Module)
_TORCH_MODULES: tuple[Any, ...] = (torch, F, torch._C._nn, torch.linalg, torch.special, torch.fft)
_GLOBAL_HOOKS = [name for name in dir(nn_module) if name.startswith("_global_") and name.endswith("hooks")]


class _OpNames(TorchDispatchMode):
    """Qualified names (`aten::add.Tensor`) of the operators a call dispatches."""

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # torch wraps a mode's __torch_dispatch__ in dynamo.disable unless told not to, and importing dynamo for that
        # costs ~2 s per runner; nothing here is ever compiled.
        return False

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        if hasattr(func, "name"):
            self.names.add(func.name())
        return func(*args, **(kwargs or {}))


def _label(ns: Any) -> str:
    return getattr(ns, "__qualname__", None) or getattr(ns, "__name__", None) or type(ns).__name__


class TorchIntegrity:
    """A snapshot of the torch and harness state the reference depends on; `problems()` lists changes."""

    def __init__(self, reference: Callable[[], object], harness: Iterable[ModuleType | type] = ()) -> None:
        # Run the reference once first: the first dispatch-mode call imports parts of torch lazily (which
        # rebinds e.g. `torch.manual_seed`), and we learn which operators the reference dispatches.
        recorder = _OpNames()
        with torch.no_grad(), recorder:
            reference()
        self.op_tables: dict[str, str] = {}
        for name in sorted(recorder.names):
            try:
                self.op_tables[name] = torch._C._dispatch_dump_table(name)
            except RuntimeError:
                continue
        self.classes = {_label(c): (c, dict(vars(c))) for c in _TORCH_CLASSES}
        self.modules = {_label(m): (m, dict(vars(m))) for m in (*_TORCH_MODULES, *harness)}
        self.default_dtype = torch.get_default_dtype()
        self.library_impls = set(getattr(torch.library, "_impls", set()))

    def problems(self) -> list[str]:
        found: list[str] = []
        for label, (cls, before) in self.classes.items():
            now = vars(cls)
            changed = [k for k in now.keys() | before.keys() if now.get(k) is not before.get(k)]
            found += [f"`{label}.{k}` was replaced or added" for k in sorted(changed)[:3]]
        for label, (mod, before) in self.modules.items():
            now = vars(mod)
            changed = [k for k, v in before.items() if now.get(k) is not v]
            found += [f"`{label}.{k}` was replaced" for k in sorted(changed)[:3]]
        if torch.get_default_dtype() != self.default_dtype:
            found.append(f"the default dtype changed to {torch.get_default_dtype()}")
        if torch._C._len_torch_function_stack() or torch._C._len_torch_dispatch_stack():
            found.append("a TorchFunctionMode or TorchDispatchMode was left active")
        for name in _GLOBAL_HOOKS:
            if getattr(nn_module, name, None):
                found.append(f"a global nn.Module hook was registered ({name})")
        new_impls = set(getattr(torch.library, "_impls", set())) - self.library_impls
        if new_impls:
            found.append(f"a kernel was registered for an existing operator ({sorted(new_impls)[0]})")
        for name, table in self.op_tables.items():
            if torch._C._dispatch_dump_table(name) != table:
                found.append(f"the kernel of `{name}`, which the reference uses, was replaced")
        return found
