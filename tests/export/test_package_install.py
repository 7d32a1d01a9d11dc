"""An exported package installs and tests like any package: `pip install --no-build-isolation "./pkg[test]"` into a
throwaway venv, then `python -m pytest` in its root and `python -m <package>.check` there. And end to end: a user's
operator without `SIZES` is optimized through an OpenAI-compatible server, swept over derived sizes, exported,
installed, and runs its kernel (faster than eager, measured side by side) at a batch the task never named.

The venv sees this interpreter's packages (torch, pytest) through a `.pth` file, so nothing is downloaded; the
package itself is built by pip from its setup.py, with the flags the evaluator measured.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
from fake_openai import FakeOpenAI, Reply

from kernelwright.agent.export.envelope import PointVerdict, envelope_of
from kernelwright.agent.export.kernels import ExportedKernel
from kernelwright.agent.export.package import export_package
from kernelwright.agent.sweep import KernelToSweep
from kernelwright.evaluator.build.cpp import measured_flags
from kernelwright.evaluator.result import Status
from kernelwright.tasks.loader import load_task

# quiet: the packages' speed is asserted (faster at a batch the task never named, a model not measurably faster).
pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.quiet]
ROOT = Path(__file__).resolve().parents[2]
SUITE = Path(__file__).resolve().parents[2] / "tasks" / "suite" / "activation"


def _run(args: list[str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(args, capture_output=True, text=True, cwd=cwd, timeout=timeout)
    assert proc.returncode == 0, f"{args}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _venv(where: Path) -> Path:
    """A fresh venv that also sees this interpreter's site-packages (torch, pytest), without downloading."""
    _run([sys.executable, "-m", "venv", "--system-site-packages", str(where)], where.parent)
    python = where / "bin" / "python"
    # The venv's own setuptools (65, from ensurepip) predates the built-in bdist_wheel; this one's is current.
    _run([str(python), "-m", "pip", "uninstall", "-q", "-y", "setuptools"], where.parent)
    purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   where.parent).stdout.strip()
    (Path(purelib) / "_kernelwright_parent.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def test_a_package_installs_with_its_test_extra_and_passes_its_own_tests(tmp_path: Path) -> None:
    task = load_task(SUITE / "relu.py")
    source = (SUITE / "solutions" / "relu.cpu.py").read_text()
    points = [PointVerdict(label=label, constants=constants, input_shapes=[shape], input_dtypes=["float32"],
                           status=Status.correct, speedup=1.5, speedup_ci=(1.2, 1.8))
              for label, constants, shape in (("task", {}, [192, 16384]), ("BATCH/2", {"BATCH": 96}, [96, 16384]))]
    kernel = ExportedKernel(kernel=KernelToSweep(candidate_id=7, platform="cpu", source=source, task=task),
                            envelope=envelope_of(points, "cpu"), hardware="some cpu (2 cores, 2 threads used)")
    package = tmp_path / "pkg"
    export_package([kernel], package)
    python = _venv(tmp_path / "venv")

    _run([str(python), "-m", "pip", "install", "-q", "--no-build-isolation", f"{package}[test]"], tmp_path)
    tests = _run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"], package)
    assert "3 passed" in tests.stdout, tests.stdout

    checked = json.loads(_run([str(python), "-m", "kw_relu.check", "--json", "--rounds", "5"], tmp_path).stdout)
    low, high = checked["interval"]
    assert low <= checked["speedup"] <= high and checked["fallbacks"] == {}
    assert checked["evaluator"] == {"speedup": 1.5, "speedup_ci": [1.2, 1.8]}
    build = checked["build"]
    # Built here, where it was exported: every assumed feature is present, so the measured flags are used as they are;
    # the CPU is not the one named as measured, so no claim is made for it.
    assert build["measured_flags"] and not build["measured_here"] and "not measured here" in build["note"]
    assert build["flags"] == {"kw_relu._ext_relu_ext": measured_flags([], [])[0]}
    words = _run([str(python), "-m", "kw_relu.check", "--rounds", "3"], tmp_path).stdout
    assert "95% interval" in words and "verdict:" in words


SWISH_TASK = '''"""y = x * sigmoid(x) + bias over rows of `dim` floats: a user's operator, no SIZES."""
import torch
import torch.nn as nn

batch_size = 256
dim = 8192


class Model(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.bias = nn.Parameter(torch.randn(dim) * 0.1)

    def forward(self, x):
        return x * torch.sigmoid(x) + self.bias


def get_inputs():
    return [torch.randn(batch_size, dim)]


def get_init_inputs():
    return [dim]
'''

SWISH_KERNEL = '''"""x * sigmoid(x) + bias in one pass: a vectorizable OpenMP loop (expf vectorizes with
-march=native and -ffast-math)."""
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <cmath>

torch::Tensor swish_bias(torch::Tensor x, torch::Tensor bias) {
    auto xc = x.contiguous();
    auto bc = bias.contiguous();
    auto y = torch::empty_like(xc);
    const float* in = xc.data_ptr<float>();
    const float* b = bc.data_ptr<float>();
    float* out = y.data_ptr<float>();
    const int64_t cols = bc.numel(), rows = xc.numel() / cols;
    #pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
        const float* row = in + r * cols;
        float* o = out + r * cols;
        #pragma omp simd
        for (int64_t c = 0; c < cols; ++c) {
            const float v = row[c];
            o[c] = v / (1.f + expf(-v)) + b[c];
        }
    }
    return y;
}
"""

ext = load_inline(name="swish_ext", cpp_sources=cpp_source, functions=["swish_bias"],
                  extra_cflags=["-ffast-math"])


class ModelNew(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.bias = nn.Parameter(torch.randn(dim) * 0.1)

    def forward(self, x):
        return ext.swish_bias(x, self.bias)
'''

# At batch 100 (the sweep saw 1, 128, 131, 256, 257, 512): the kernel must serve it, and beat eager side by side.
AT_BATCH_100 = '''import statistics
import time

import torch
import {name} as k

torch.manual_seed(0)


class Net(torch.nn.Module):
    def __init__(self, op):
        super().__init__()
        self.op = op

    def forward(self, x):
        return self.op(x)


ref_op = k._runtime._reference_module.Model(8192)
mine = k.Module(8192)
mine.reference.load_state_dict(ref_op.state_dict())
x = torch.randn(100, 8192)
k.reset_fallbacks()
with torch.no_grad():
    torch.testing.assert_close(mine(x), ref_op(x))
    if k.fallback_reasons() == {{"not_faster": 1}}:
        # The sweep could not verify this size bucket faster (a loaded machine): the package falls back, as it must.
        print("not verified faster at batch 100")
        raise SystemExit(0)
    assert k.fallback_count() == 0, k.fallback_reasons()
    ratios = []
    for r in range(21):
        pair = []
        for fn in ((ref_op, mine) if r % 2 == 0 else (mine, ref_op)):
            t = time.perf_counter()
            for _ in range(20):
                fn(x)
            pair.append((fn is ref_op, time.perf_counter() - t))
        d = dict(pair)
        ratios.append(d[True] / d[False])
print("fallbacks", k.fallback_reasons(), "median ratio eager/op at batch 100:", round(statistics.median(ratios), 2))
'''


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> str:
    proc = subprocess.run([sys.executable, "-m", "kernelwright.cli", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=900)
    assert proc.returncode == 0, f"{args}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def test_a_user_operator_without_sizes_ships_and_beats_eager_at_a_batch_it_never_named(
        tmp_path: Path, ray_env: dict[str, str]) -> None:
    db = f"sqlite:///{tmp_path / 'kw.db'}"
    (tmp_path / "swish.py").write_text(SWISH_TASK)
    (tmp_path / "swish_kernel.py").write_text(SWISH_KERNEL)
    env = {**ray_env, "PYTHONPATH": str(ROOT)}
    # Optimized as a user would: through an OpenAI-compatible server (a real HTTP one, its reply scripted).
    with FakeOpenAI([Reply(text=f"Fused into one pass:\n\n```python\n{SWISH_KERNEL}```\n")]) as server:
        optimized = json.loads(_cli(["optimize", "swish.py", "--provider", "openai", "--model", "fake-coder",
                                     "--base-url", server.base_url, "--db-url", db, "--trajectories", "1", "--turns",
                                     "1", "--threads", "1", "--trials", "1", "--out", "best.py", "--json"],
                                    env, tmp_path))
    assert optimized["correct"] == 1, optimized  # verified faster or not: the batch-100 check below times it
    listed = json.loads(_cli(["kernels", "list", "--db-url", db, "--json"], env, tmp_path))
    (kernel,) = [k for k in listed if k["task_id"].startswith("user/swish-")]
    swept = json.loads(_cli(["sweep", str(kernel["kernel_id"]), "--shapes", "6", "--db-url", db, "--json"], env,
                            tmp_path))
    assert list(swept["rules"]) == ["task", "odd", "prime", "tiny", "batch_size/2", "batch_sizex2"], swept["rules"]
    assert "batch_size (batch), dim (model dimension)" in swept["note"]
    package = tmp_path / "pkg"
    written = json.loads(_cli(["export", str(kernel["kernel_id"]), "--out", str(package), "--db-url", db, "--json"],
                              env, tmp_path))
    python = _venv(tmp_path / "venv")
    _run([str(python), "-m", "pip", "install", "-q", "--no-build-isolation", f"{package}[test]"], tmp_path)
    tests = _run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"], package)
    assert " passed" in tests.stdout and "failed" not in tests.stdout, tests.stdout
    used = _run([str(python), "-c", AT_BATCH_100.format(name=written["package"])], tmp_path).stdout
    if "not verified faster at batch 100" in used:
        pytest.skip("the sweep did not verify batch 100's size bucket faster on this (loaded) machine, so the package "
                    "rightly fell back to the reference there; nothing to time")
    ratio = float(used.split("at batch 100:")[1].split()[0])
    assert "fallbacks {}" in used and ratio > 1.0, used

    (tmp_path / "twice.py").write_text(TWICE)
    twice = _apply(written["package"], tmp_path / "twice.py", python, env, tmp_path)
    assert twice["swapped"] == ["first", "second"] and twice["outputs_match"], twice
    assert twice["calls"] == {"kernel": 2, "fallbacks": {}}, twice
    assert "model_speedup" in twice and "kernel_speedup" in twice
    (tmp_path / "buried.py").write_text(BURIED)
    buried = _apply(written["package"], tmp_path / "buried.py", python, env, tmp_path)
    low, high = buried["model_interval"]
    assert buried["swapped"] == ["act"] and buried["outputs_match"], buried
    # The op is a sliver of this model's time: the model gains far less than the kernel alone. Whether that sliver
    # shows end to end (the model's interval above 1.0) depends on the machine's noise; the verdict must say what
    # the interval says (CI once measured [1.026, ...] here: a real 1-3%, not the "not measurably faster" hoped for).
    assert buried["kernel_interval"][0] > 1.0 and buried["model_speedup"] < buried["kernel_interval"][0], buried
    if low <= 1.0 <= high:
        assert "not measurably faster" in buried["verdict"] and "kernel alone is faster" in buried["verdict"]
    else:
        way = "faster" if low > 1.0 else "slower"
        assert buried["verdict"] == f"the model is {way} end to end", buried

SWISH_LAYER = '''
import torch
import torch.nn as nn


class Swish(nn.Module):
    """The user's own layer: the task's Model, word for word in its forward."""

    def __init__(self, dim):
        super().__init__()
        self.bias = nn.Parameter(torch.randn(dim) * 0.1)

    def forward(self, x):
        return x * torch.sigmoid(x) + self.bias
'''

# The op twice, at a batch the task never named.
TWICE = SWISH_LAYER + '''

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = Swish(8192)
        self.second = Swish(8192)

    def forward(self, x):
        return self.second(self.first(x) * 0.5)


def get_model():
    return Net()


def get_inputs():
    return [torch.randn(100, 8192)]
'''

# A matmul of 100 x 8192 x 8192 beside the op: what the kernel saves is a sliver of the model's time.
BURIED = SWISH_LAYER + '''

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(8192, 8192)
        self.act = Swish(8192)

    def forward(self, x):
        return self.act(self.proj(x))


def get_model():
    return Net()


def get_inputs():
    return [torch.randn(100, 8192)]
'''


def _apply(package: str, model: Path, python: Path, env: dict[str, str], cwd: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(_cli(["apply", package, str(model), "--python", str(python), "--rounds",
                                             "15", "--json"], env, cwd))
    return result
