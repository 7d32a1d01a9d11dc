"""The `pallas` platform's static side and its runner hooks, in process: what counts as a Pallas kernel, the
screen against JAX (or any other array library) computing outside one, and the launch counter."""

from __future__ import annotations

import pytest

from kernelwright.evaluator.platforms import available_platforms, get_platform
from kernelwright.evaluator.platforms.pallas import PallasPlatform
from kernelwright.evaluator.result import Reason, Verification
from kernelwright.evaluator.static_checks import check_source

HEADER = """
import functools
import jax
import jax.numpy as jnp
import torch
import torch.nn as nn
from jax.experimental import pallas as pl
"""

KERNEL = """
def relu_kernel(x_ref, o_ref):
    o_ref[...] = jnp.maximum(x_ref[...], 0.0)
"""


def _candidate(forward: str, kernel: str = KERNEL, header: str = HEADER) -> str:
    body = "\n".join("        " + line for line in forward.strip().splitlines())
    return f"{header}\n{kernel}\n\nclass ModelNew(nn.Module):\n    def forward(self, x):\n{body}\n"


LAUNCH = """
xj = jax.dlpack.from_dlpack(x.contiguous())
out = pl.pallas_call(relu_kernel, out_shape=jax.ShapeDtypeStruct(xj.shape, xj.dtype))(xj)
return torch.from_dlpack(out)
"""


def _finding(source: str) -> Reason | None:
    found = check_source(source, get_platform("pallas"))
    return found.reason if found else None


def test_pallas_is_a_registered_platform_that_interprets_without_a_gpu() -> None:
    assert "pallas" in available_platforms()
    platform = get_platform("pallas")
    assert isinstance(platform, PallasPlatform) and platform.unavailable() is None
    assert platform.verification() is Verification.interpreter and platform.needs_gpu
    assert platform.runner_env()["JAX_PLATFORMS"] == "cpu"
    assert platform.allowed_array_modules == {"jax"} and not platform.exports_native_builds


@pytest.mark.parametrize("kernel_arg", [
    "relu_kernel",
    "functools.partial(relu_kernel)",
    "lambda x_ref, o_ref: relu_kernel(x_ref, o_ref)",
    "kernel=relu_kernel",
])
def test_a_pallas_call_of_a_kernel_is_a_kernel(kernel_arg: str) -> None:
    launch = LAUNCH.replace("pl.pallas_call(relu_kernel,", f"pl.pallas_call({kernel_arg},")
    assert _finding(_candidate(launch)) is None


def test_pallas_call_imported_by_name_and_helpers_called_from_the_kernel_are_kernel_code() -> None:
    header = HEADER + "from jax.experimental.pallas import pallas_call as launch\n"
    kernel = ("def _relu(x):\n    return jnp.maximum(x, 0.0)\n\n\n"
              "def relu_kernel(x_ref, o_ref):\n    o_ref[...] = _relu(x_ref[...])\n")
    source = _candidate(LAUNCH.replace("pl.pallas_call(", "launch("), kernel=kernel, header=header)
    assert _finding(source) is None


def test_no_pallas_call_is_no_kernel() -> None:
    source = _candidate("xj = jax.dlpack.from_dlpack(x)\nreturn torch.from_dlpack(jnp.maximum(xj, 0.0))")
    assert _finding(source) is Reason.no_kernel


def test_jax_numpy_doing_the_work_outside_the_kernel_is_no_kernel() -> None:
    # The kernel only copies; jnp computes the answer in the forward, where no kernel runs.
    kernel = "def copy_kernel(x_ref, o_ref):\n    o_ref[...] = x_ref[...]\n"
    launch = LAUNCH.replace("relu_kernel", "copy_kernel").replace("(xj)\n", "(jnp.maximum(xj, 0.0))\n")
    found = check_source(_candidate(launch, kernel=kernel), get_platform("pallas"))
    assert found is not None and found.reason is Reason.no_kernel
    assert "inside kernel bodies" in found.message
    lax = launch.replace("jnp.maximum(xj, 0.0)", "jax.lax.max(xj, 0.0)")
    assert _finding(_candidate(lax, kernel=kernel)) is Reason.no_kernel
    # The same compute imported by name (`maximum(...)` reads as no module's call); a dtype imported so is fine.
    by_name = launch.replace("jnp.maximum(xj, 0.0)", "maximum(xj, 0.0)")
    header = HEADER + "from jax.numpy import maximum\nfrom jax.numpy import float32\n"
    assert _finding(_candidate(by_name, kernel=kernel, header=header)) is Reason.no_kernel
    typed = LAUNCH.replace("xj.dtype)", "float32)")
    assert _finding(_candidate(typed, header=HEADER + "from jax.numpy import float32\n")) is None


@pytest.mark.parametrize(("imports", "call"), [
    ("", "jax.pure_callback(lambda a: a.clip(0), jax.ShapeDtypeStruct(x.shape, x.dtype), x)"),
    ("from jax import pure_callback as cb\n", "cb(lambda a: a.clip(0), jax.ShapeDtypeStruct(x.shape, x.dtype), x)"),
    ("from jax.experimental import io_callback\n", "io_callback(print, None, x)"),
    ("import jax.experimental as je\n", "je.io_callback(print, None, x)"),
    ("", "jax.debug.callback(print, x)"),
])
def test_a_host_callback_even_inside_a_kernel_is_no_kernel(imports: str, call: str) -> None:
    # The callback's Python runs on NumPy arrays, on a thread where torch's dispatch recorder isn't active.
    kernel = f"def relu_kernel(x_ref, o_ref):\n    x = x_ref[...]\n    o_ref[...] = {call}\n"
    assert _finding(_candidate(LAUNCH, kernel=kernel, header=HEADER + imports)) is Reason.no_kernel


def test_a_function_of_the_candidates_own_named_callback_is_fine() -> None:
    kernel = ("def callback(x):\n    return jnp.maximum(x, 0.0)\n\n\n"
              "def relu_kernel(x_ref, o_ref):\n    o_ref[...] = callback(x_ref[...])\n")
    assert _finding(_candidate(LAUNCH, kernel=kernel)) is None


def test_other_array_libraries_stay_banned_and_jax_stays_banned_elsewhere() -> None:
    source = _candidate(LAUNCH, header=HEADER + "import numpy as np\n")
    assert _finding(source) is Reason.banned_import
    cpu_source = "import jax\nimport torch.nn as nn\nfrom torch.utils.cpp_extension import load_inline\n" \
                 "class ModelNew(nn.Module):\n    pass\nload_inline(name='k', cpp_sources='')\n"
    found = check_source(cpu_source, get_platform("cpu"))
    assert found is not None and found.reason is Reason.banned_import and "jax" in found.message


def test_the_runner_hook_forces_interpret_mode_and_counts_every_launch() -> None:
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp
    from jax.experimental import pallas as pl

    platform = PallasPlatform()
    original = pl.pallas_call
    try:
        platform.install_build_hooks(lambda *a, **k: None)

        def double(x_ref: object, o_ref: object) -> None:
            o_ref[...] = x_ref[...] * 2  # type: ignore[index]

        # No interpret=True here: the platform adds it (there is no GPU to compile for).
        kernel = pl.pallas_call(double, out_shape=jax.ShapeDtypeStruct((4,), jnp.float32))
        assert list(kernel(jnp.ones(4))) == [2.0] * 4
        assert platform.kernel_calls() == 1
        jitted = jax.jit(lambda x: kernel(x) + 1)
        for _ in range(3):  # traced once, run three times: each run counts
            jitted(jnp.ones(4)).block_until_ready()
        jax.effects_barrier()
        assert platform.kernel_calls() == 4
    finally:
        from jax._src.pallas import pallas_call as pallas_call_module

        pl.pallas_call = original
        pallas_call_module.pallas_call = original
