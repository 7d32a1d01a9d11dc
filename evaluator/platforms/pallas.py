"""The `pallas` platform: kernels written with JAX Pallas (`pl.pallas_call`), on tensors handed across by DLPack.

The reference stays PyTorch (as in MultiKernelBench's Pallas track): the candidate's forward takes torch tensors,
views them as JAX arrays with `jax.dlpack.from_dlpack` (no copy), runs its `pallas_call` kernels and hands the
result back with `torch.from_dlpack`. On an NVIDIA GPU with JAX's CUDA plugin installed the kernels compile
(Triton/Mosaic GPU) and are timed like any other; without one, the runner's `pallas_call` runs every kernel with
`interpret=True` on the CPU, so candidates are checked for correctness on small inputs and never timed.

The runner wraps `pallas_call` (before the candidate loads) to force interpret mode where needed and to count
kernel launches: a call from Python counts at once, a call traced into `jax.jit` counts on each run of the
compiled function through a host callback, so a jitted forward is counted as often as it runs.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Callable
from typing import Any

from evaluator.platforms.gpu import GpuPlatform, cuda_available
from evaluator.result import Verification

# JAX's CUDA backends: a GPU host runs Pallas natively only with one of these installed next to jax.
_JAX_CUDA_PLUGINS = ("jax_cuda12_plugin", "jax_cuda13_plugin")
_PALLAS_MODULE = "jax.experimental.pallas"


def jax_cuda_available() -> bool:
    """Whether this process could run Pallas kernels on an NVIDIA GPU (torch sees one and JAX has a CUDA plugin).

    Asked without importing jax: the judge must not start JAX's runtime (it would claim GPU memory)."""
    return cuda_available() and any(importlib.util.find_spec(p) is not None for p in _JAX_CUDA_PLUGINS)


def _pallas_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Names bound to the Pallas module (`from jax.experimental import pallas as pl`) and to `pallas_call`
    itself (`from jax.experimental.pallas import pallas_call`)."""
    modules: set[str] = set()
    functions: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if node.module == "jax.experimental" and alias.name == "pallas":
                    modules.add(alias.asname or alias.name)
                elif node.module == _PALLAS_MODULE and alias.name == "pallas_call":
                    functions.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == _PALLAS_MODULE:
                    modules.add(alias.asname or alias.name)
    return modules, functions


def _dotted(node: ast.expr) -> str:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


class PallasPlatform(GpuPlatform):
    name = "pallas"
    kernel_language = "JAX Pallas (`jax.experimental.pallas.pallas_call` kernels)"
    prompt_language = "JAX Pallas"
    no_hardware_note = ("no GPU here: pallas kernels run with interpret=True on small inputs, so they are checked "
                        "for correctness but never timed, and no speedup can be verified")
    # JAX is the kernel language: `jax`/`jax.numpy` inside a kernel body and DLPack across; every other array
    # library still computes outside the kernel.
    allowed_array_modules = frozenset({"jax"})
    exports_native_builds = False  # the kernel ships as Python; JAX compiles it where it runs

    def __init__(self) -> None:
        super().__init__()
        self.native = jax_cuda_available()
        self.launches = 0

    def fallback_verification(self) -> Verification:
        return Verification.interpreter

    def unavailable(self) -> str | None:
        if importlib.util.find_spec("jax") is None or importlib.util.find_spec("jaxlib") is None:
            return "jax is not installed: `pip install 'kernelwright[pallas]'` (or `pip install 'jax[cpu]'`)"
        return None

    def runner_env(self) -> dict[str, str]:
        # Read when JAX starts its backends, so they must be set before the runner starts. On a GPU, JAX would
        # otherwise take 75% of the device's memory at start, next to torch's own allocator.
        env = {"XLA_PYTHON_CLIENT_PREALLOCATE": "false"}
        if not self.native:
            env["JAX_PLATFORMS"] = "cpu"  # no probing for accelerators the jail doesn't show
        return {**super().runner_env(), **env}

    def has_kernel(self, tree: ast.Module, strings: list[str]) -> bool:
        """A call of `pallas_call`, from the Pallas module (`pl.pallas_call`) or imported from it by name."""
        modules, functions = _pallas_names(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = _dotted(node.func)
                head, _, last = name.rpartition(".")
                if (last == "pallas_call" and (head in modules or head == _PALLAS_MODULE)) or name in functions:
                    return True
        return False

    def warm_device(self) -> None:
        """Start JAX's backend and run one tiny kernel (eager and jitted) before the audit hook is armed: the
        runtime's thread pools, its compiler and the interpreter's lazy imports are the harness's own work."""
        super().warm_device()
        import jax
        import jax.numpy as jnp
        from jax.experimental import pallas as pl

        def copy(x_ref: Any, o_ref: Any) -> None:
            o_ref[...] = x_ref[...]

        kernel = pl.pallas_call(copy, out_shape=jax.ShapeDtypeStruct((8,), jnp.float32), interpret=not self.native)

        def jitted(x: Any) -> Any:
            jax.debug.callback(lambda: None)  # host callbacks start a thread pool of their own
            return kernel(x)

        jax.jit(jitted)(jnp.zeros(8)).block_until_ready()
        kernel(jnp.zeros(8)).block_until_ready()

    def install_build_hooks(self, load_inline: Callable[..., Any]) -> None:
        """Wrap `pallas_call`: interpret mode without a GPU, and every launch counted."""
        del load_inline  # Pallas kernels compile in the runner, inside JAX
        from jax._src.pallas import pallas_call as pallas_call_module
        from jax.experimental import pallas

        wrapped = self._counted(pallas_call_module.pallas_call)
        pallas.pallas_call = wrapped
        pallas_call_module.pallas_call = wrapped

    def _counted(self, pallas_call: Callable[..., Any]) -> Callable[..., Any]:
        platform = self

        def count() -> None:
            platform.launches += 1

        def counted_pallas_call(*args: Any, **kwargs: Any) -> Callable[..., Any]:
            if not platform.native:
                kwargs["interpret"] = True
            kernel = pallas_call(*args, **kwargs)

            def launch(*operands: Any, **named: Any) -> Any:
                import jax

                leaves = jax.tree_util.tree_leaves((operands, named))
                if any(isinstance(leaf, jax.core.Tracer) for leaf in leaves):
                    # Traced into a jitted function: count each time the compiled function runs.
                    jax.debug.callback(count)
                else:
                    count()
                return kernel(*operands, **named)

            return launch

        return counted_pallas_call

    def kernel_calls(self) -> int:
        return self.launches

    def synchronize(self) -> None:
        """torch's streams, and JAX's pending host callbacks on a GPU. JAX's own streams need nothing here: the
        outputs cross to torch by DLPack, whose consumer stream waits for the producer's work."""
        super().synchronize()
        if self.native:
            import jax

            jax.effects_barrier()


__all__ = ["PallasPlatform", "jax_cuda_available"]
