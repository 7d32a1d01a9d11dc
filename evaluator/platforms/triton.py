"""The `triton` platform: kernels written with `@triton.jit` (optionally `@triton.autotune`).

The candidate is loaded from a file on disk (tasks.module.exec_module_from_source), never `exec`'d from a
string: Triton reads each kernel's source with `inspect`. On a GPU, kernels compile lazily on their first
launch, inside the candidate's forward and inside its jail; that compile (ptxas runs as a process, the runner's
private cache is written) passes the runner's audit hook as build work. Without a GPU, the runner runs with
TRITON_INTERPRET=1: kernels execute on the CPU through Triton's interpreter, correctness is checked on
small inputs and nothing is timed.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from kernelwright.evaluator.platforms.base import dotted_name
from kernelwright.evaluator.platforms.gpu import GpuPlatform
from kernelwright.evaluator.result import Verification

_DECORATORS = {"jit", "autotune"}


def _dotted(node: ast.expr) -> str:
    """A decorator's dotted name, called (`triton.autotune(...)`) or not."""
    return dotted_name(node.func if isinstance(node, ast.Call) else node)


class TritonPlatform(GpuPlatform):
    name = "triton"
    kernel_language = "Triton (`@triton.jit` kernels)"
    prompt_language = "Triton"
    no_hardware_note = ("no GPU here: triton kernels run under the interpreter on small inputs, so they are checked "
                        "for correctness but never timed, and no speedup can be verified")
    exports_native_builds = False  # the kernel ships as Python; Triton compiles it where it runs

    def __init__(self) -> None:
        super().__init__()
        self.launches = 0

    def fallback_verification(self) -> Verification:
        return Verification.interpreter

    def unavailable(self) -> str | None:
        if importlib.util.find_spec("triton") is None:
            return "triton is not installed: `pip install 'kernelwright[triton]'` (or `pip install triton`)"
        return None

    def runner_env(self) -> dict[str, str]:
        # Read by `triton.jit` when a kernel is decorated, so it must be set before the runner starts.
        return super().runner_env() if self.native else {"TRITON_INTERPRET": "1"}

    def has_kernel(self, tree: ast.Module, strings: list[str]) -> bool:
        """A function decorated with `triton.jit` (or `jit` imported from triton)."""
        from_triton = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                       and (node.module or "").split(".")[0] == "triton" for alias in node.names}
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for decorator in node.decorator_list:
                    name = _dotted(decorator)
                    if name == "triton.jit" or (name == "jit" and "jit" in from_triton):
                        return True
        return False

    def install_build_hooks(self, load_inline: Callable[..., Any]) -> None:
        """Count launches of every Triton kernel (compiled or interpreted), warm-up compiles excluded."""
        del load_inline  # Triton kernels compile in the runner, on their first launch
        from triton.runtime.interpreter import InterpretedFunction
        from triton.runtime.jit import JITFunction

        for cls in (JITFunction, InterpretedFunction):
            cls.run = self._counted(cls.run)

    def _counted(self, run: Callable[..., Any]) -> Callable[..., Any]:
        platform = self

        def counted_run(kernel: Any, *args: Any, **kwargs: Any) -> Any:
            if not kwargs.get("warmup", False):
                platform.launches += 1
            return run(kernel, *args, **kwargs)

        return counted_run

    def guard_builds(self, building: Callable[[], AbstractContextManager[None]]) -> None:
        """On a GPU: start Triton's CUDA driver now, and let each kernel's lazy compile through the guard."""
        if not self.native:
            return
        import triton
        import triton.compiler

        with building():
            # First use finds libcuda (ldconfig) and builds Triton's small C launcher module: the harness's
            # work, done before any candidate code runs.
            triton.runtime.driver.active.get_current_target()
            triton.runtime.driver.active.utils  # noqa: B018 - the attribute access is what builds the module
        compile_kernel = triton.compiler.compile

        def compile_under_guard(*args: Any, **kwargs: Any) -> Any:
            with building():
                return compile_kernel(*args, **kwargs)

        # `JITFunction.create_binder` imports `compile` from `triton.compiler` when a kernel first runs.
        triton.compiler.compile = compile_under_guard
        # A compiled kernel's first launch loads its module and builds its C launcher (a compiler process).
        from triton.compiler.compiler import CompiledKernel

        init_handles = CompiledKernel._init_handles

        def init_handles_under_guard(kernel: Any) -> None:
            with building():
                init_handles(kernel)

        CompiledKernel._init_handles = init_handles_under_guard

    def kernel_calls(self) -> int:
        return self.launches


__all__ = ["TritonPlatform"]
