"""Runner side of a build: import a built extension and count calls into it.

The judge compiles (in a build jail of its own) and puts the module in the build cache; the runner, which sees the
cache read-only, imports it from there. The call counts are a tripwire for "a kernel built for show" (row 1): the
runner reports a kernel that was never called, and a native kernel that fakes the count gains nothing, since
correctness and speed are the judge's measurements.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from kernelwright.evaluator.build.errors import BuildError


@dataclass
class BuildStats:
    """What the candidate's builds did in this runner."""

    loaded: int = 0
    calls: dict[str, int] = field(default_factory=dict)


class KernelModule:
    """A built extension whose functions count their calls."""

    def __init__(self, module: ModuleType, stats: BuildStats) -> None:
        self._module = module
        self._stats = stats

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._module, name)
        if not callable(target):
            return target
        stats = self._stats

        def counted(*args: Any, **kwargs: Any) -> Any:
            stats.calls[name] = stats.calls.get(name, 0) + 1
            return target(*args, **kwargs)

        counted.__name__ = name
        return counted


class CompileCheckedModule:
    """What `load_inline` returns without a GPU: the kernel compiled, and there is nothing to run it on."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Callable[..., Any]:
        def unavailable(*_args: Any, **_kwargs: Any) -> Any:
            raise RuntimeError(f"{self._name}.{attr}: compile-checked only, there is no GPU here to run it on")

        return unavailable


def import_extension(so_path: Path) -> ModuleType:
    """Import the extension module at `so_path` (its module name is the file's stem)."""
    mod_name = so_path.stem
    if mod_name in sys.modules:
        return sys.modules[mod_name]
    loader = importlib.machinery.ExtensionFileLoader(mod_name, str(so_path))
    spec = importlib.util.spec_from_file_location(mod_name, so_path, loader=loader)
    if spec is None:
        raise BuildError(f"cannot load the built extension {so_path.name}")
    try:
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
    except ImportError as exc:
        raise BuildError(f"the built extension failed to load: {exc}") from exc
    sys.modules[mod_name] = module
    return module
