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
import sys
from collections.abc import Callable
from typing import Any

from kernelwright.evaluator.platforms.base import dotted_name
from kernelwright.evaluator.platforms.gpu import GpuPlatform, cuda_available
from kernelwright.evaluator.result import Verification

# JAX's CUDA backends: a GPU host runs Pallas natively only with one of these installed next to jax.
_JAX_CUDA_PLUGINS = ("jax_cuda12_plugin", "jax_cuda13_plugin")
_PALLAS_MODULE = "jax.experimental.pallas"
# JAX's array compute: outside a kernel body it is PyTorch by another name (row 1), computing where no kernel runs.
_COMPUTE_MODULES = ("jax.numpy", "jax.lax", "jax.nn", "jax.scipy", "jax.image", "jax.random")
# What a forward may call from those modules outside a kernel: DLPack, dtypes and views that compute nothing.
_NO_COMPUTE = {"from_dlpack", "dtype", "result_type", "iinfo", "finfo", "shape", "ndim", "size", "reshape",
               "ravel", "squeeze", "expand_dims", "float32", "float16", "bfloat16", "float64", "int32", "int64",
               "int16", "int8", "uint8", "bool_"}
# Host callbacks run Python on the arrays (NumPy's, on a thread of XLA's where torch's dispatch recorder isn't
# active), in a kernel or out of one: compute no check sees.
_HOST_CALLBACKS = {"pure_callback", "io_callback", "callback", "debug_callback", "call_tf"}


def jax_cuda_available() -> bool:
    """Whether this process could run Pallas kernels on an NVIDIA GPU (torch sees one and JAX has a CUDA plugin).

    Asked without importing jax: the judge must not start JAX's runtime (it would claim GPU memory)."""
    return cuda_available() and any(importlib.util.find_spec(p) is not None for p in _JAX_CUDA_PLUGINS)


def _module_root(name: str | None) -> str:
    return (name or "").split(".")[0]


class _Source:
    """What `has_kernel` reads from a candidate: the names bound to Pallas and JAX's compute modules, its
    `pallas_call`s, and the functions that are kernel bodies."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.pallas_modules = {_PALLAS_MODULE}  # `from jax.experimental import pallas as pl`
        self.pallas_calls: set[str] = set()  # `from jax.experimental.pallas import pallas_call`
        self.compute_modules = set(_COMPUTE_MODULES)  # `import jax.numpy as jnp`, `from jax import lax`
        self.from_jax: set[str] = set()  # names imported from JAX: `debug` (module), `pure_callback` (function)
        self.callbacks: set[str] = set()  # host callbacks imported by name
        self.compute_functions: set[str] = set()  # compute imported by name: `from jax.numpy import exp`
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    bound, full = alias.asname or alias.name, f"{node.module}.{alias.name}"
                    if full == _PALLAS_MODULE:
                        self.pallas_modules.add(bound)
                    elif full == f"{_PALLAS_MODULE}.pallas_call":
                        self.pallas_calls.add(bound)
                    elif full in _COMPUTE_MODULES:
                        self.compute_modules.add(bound)
                    elif node.module in _COMPUTE_MODULES and alias.name not in _NO_COMPUTE:
                        self.compute_functions.add(bound)
                    if _module_root(node.module) == "jax":
                        self.from_jax.add(bound)
                        if alias.name in _HOST_CALLBACKS:
                            self.callbacks.add(bound)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname and _module_root(alias.name) == "jax":
                        self.from_jax.add(alias.asname)
                    if alias.asname and alias.name == _PALLAS_MODULE:
                        self.pallas_modules.add(alias.asname)
                    elif alias.asname and alias.name in _COMPUTE_MODULES:
                        self.compute_modules.add(alias.asname)

    def launches(self) -> list[ast.Call]:
        """Every `pallas_call(...)`: from the Pallas module (`pl.pallas_call`) or imported from it by name."""
        found = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                name = dotted_name(node.func)
                head, _, last = name.rpartition(".")
                if (last == "pallas_call" and head in self.pallas_modules) or name in self.pallas_calls:
                    found.append(node)
        return found

    def kernel_bodies(self, launches: list[ast.Call]) -> list[ast.AST]:
        """The functions a `pallas_call` runs as its kernel (named directly, through `functools.partial`, a lambda,
        a variable or a factory), with every function those call by name."""
        functions: dict[str, list[ast.AST]] = {}
        values: dict[str, list[ast.expr]] = {}
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions.setdefault(node.name, []).append(node)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        values.setdefault(target.id, []).append(node.value)
        kernels = [launch.args[0] for launch in launches if launch.args]
        kernels += [k.value for launch in launches for k in launch.keywords if k.arg == "kernel"]
        pending = [n.id for kernel in kernels for n in ast.walk(kernel) if isinstance(n, ast.Name)]
        seen: set[str] = set()
        bodies: list[ast.AST] = list(kernels)
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            found: list[ast.AST] = [*functions.get(name, []), *values.get(name, [])]
            bodies += found
            pending += [n.id for body in found for n in ast.walk(body) if isinstance(n, ast.Name)]
        return bodies

    def compute_outside(self, bodies: list[ast.AST]) -> ast.Call | None:
        """The first call of a JAX compute function (`jnp.exp`, `lax.dot`) outside every kernel body, or of a host
        callback anywhere; None when there is none."""
        inside = {id(n) for body in bodies for n in ast.walk(body)}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                name = dotted_name(node.func)
                head, _, last = name.rpartition(".")
                root = _module_root(head)
                if name in self.callbacks or (last in _HOST_CALLBACKS and (root == "jax" or root in self.from_jax
                                                                           or head in self.compute_modules)):
                    return node
                if id(node) not in inside and ((head in self.compute_modules and last not in _NO_COMPUTE)
                                               or name in self.compute_functions):
                    return node
        return None


class PallasPlatform(GpuPlatform):
    name = "pallas"
    kernel_language = ("JAX Pallas (`jax.experimental.pallas.pallas_call` kernels; jax.numpy and lax compute only "
                       "inside kernel bodies, and no host callbacks)")
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
        """A `pallas_call` (`pl.pallas_call`, or imported by name), no jax.numpy/lax compute outside the kernel
        bodies and no host callback anywhere: work done there is no kernel's, as PyTorch's would be (whether the
        forward really launches the kernel is counted at run time)."""
        source = _Source(tree)
        launches = source.launches()
        return bool(launches) and source.compute_outside(source.kernel_bodies(launches)) is None

    def warm_kernel_runtime(self) -> None:
        """Start JAX's backend and run one tiny kernel (eager and jitted) before the audit hook is armed: the
        runtime's thread pools, its compiler and the interpreter's lazy imports are the harness's own work."""
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
        """torch's streams, and JAX's pending host callbacks (the launch counts of jitted kernels land there, and
        may run after the outputs are ready). JAX's own streams need nothing here: the outputs cross to torch by
        DLPack, whose consumer stream waits for the producer's work."""
        super().synchronize()
        jax = sys.modules.get("jax")  # nothing to wait for before JAX is started
        if jax is not None:
            jax.effects_barrier()


__all__ = ["PallasPlatform", "jax_cuda_available"]
