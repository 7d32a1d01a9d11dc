"""End to end: an optimize answer exported as a package, installed with pip into a fresh venv that has only torch
(and pytest), and used there; sweeps of suite examples and of a kernel planted to be wrong at odd sizes.

Real CLI, Ray, SQLite and jailed evaluator; the venv installs torch from pip's cache (pinned by constraints.txt).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kernelwright.db import Store

ROOT = Path(__file__).resolve().parents[2]
PRESET = ROOT / "configs" / "optimize-offline.yaml"
pytestmark = pytest.mark.slow

ODD_TASK = '''"""y = relu(x) + 1 over rows of DIM floats."""
import torch
import torch.nn as nn

BATCH, DIM = 16, 256
SIZES = {"small": {"BATCH": 2, "DIM": 8}}


class Model(nn.Module):
    def forward(self, x):
        return torch.relu(x) + 1.0


def get_inputs():
    return [torch.randn(BATCH, DIM)]


def get_init_inputs():
    return []
'''

# Right for even row lengths; the last column of an odd row is never written (left 0).
ODD_KERNEL = '''
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
torch::Tensor relu_plus_one(torch::Tensor x) {
    auto xc = x.contiguous();
    auto y = torch::zeros_like(xc);
    const float* in = xc.data_ptr<float>();
    float* out = y.data_ptr<float>();
    const int64_t cols = xc.size(1), pairs = cols / 2;
    for (int64_t r = 0; r < xc.size(0); ++r)
        for (int64_t p = 0; p < pairs; ++p)
            for (int64_t k = 0; k < 2; ++k) {
                const float v = in[r * cols + 2 * p + k];
                out[r * cols + 2 * p + k] = (v > 0.f ? v : 0.f) + 1.f;
            }
    return y;
}
"""

ext = load_inline(name="odd_ext", cpp_sources=cpp_source, functions=["relu_plus_one"])


class ModelNew(nn.Module):
    def forward(self, x):
        return ext.relu_plus_one(x)
'''

USE_IN_A_MODEL = '''
import sys
import torch
import {name} as k

torch.manual_seed(0)
pool = k.Module(3, 2, 1)
x = torch.randn(4, 32, 112, 112)
k.reset_fallbacks()
assert torch.equal(pool(x), torch.nn.functional.max_pool2d(x, 3, 2, 1))
assert k.fallback_count() == 0, k.fallback_reasons()


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 32, 3, padding=1)
        self.pool = k.Module(3, 2, 1)

    def forward(self, x):
        return self.pool(torch.relu(self.conv(x))) * 2


net = Net()
images = torch.randn(4, 3, 112, 112)
compiled = torch.compile(net, fullgraph=True)  # fullgraph: a graph break is an error
torch.testing.assert_close(compiled(images), net(images))

k.reset_fallbacks()
wide = torch.randn(2, 4, 9, 9, dtype=torch.float64)
assert torch.equal(pool(wide), torch.nn.functional.max_pool2d(wide, 3, 2, 1))
assert k.fallback_reasons() == {{"dtype": 1}}, k.fallback_reasons()

small = torch.randn(1, 2, 6, 6, dtype=torch.float64, requires_grad=True)
assert torch.autograd.gradcheck(pool, (small,))
leaf = x.clone().requires_grad_()
pool(leaf).sum().backward()
assert leaf.grad is not None and leaf.grad.sum().item() > 0
print("ok")
'''

ODD_CALLS = '''
import torch
import kw_odd as k

m = k.Module()
k.reset_fallbacks()
even = torch.randn(16, 256)
assert torch.equal(m(even), torch.relu(even) + 1)
odd = torch.randn(16, 255)
assert torch.equal(m(odd), torch.relu(odd) + 1)
print(k.fallback_reasons())
'''


def _run(args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
         timeout: float = 900) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)
    assert proc.returncode == 0, f"{args}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The CLI run in `cwd` (the offline preset writes its `out` file there)."""
    return _run([sys.executable, "-m", "kernelwright.cli", *args], env, cwd=cwd)


@pytest.fixture(scope="module")
def torch_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv with torch and pytest only: where a user installs an exported package."""
    venv = tmp_path_factory.mktemp("venv") / "v"
    _run([sys.executable, "-m", "venv", str(venv)])
    _run([str(venv / "bin" / "pip"), "install", "-q", "-c", str(ROOT / "constraints.txt"), "torch", "pytest"])
    yield venv / "bin" / "python"


def _install(python: Path, package: Path) -> None:
    _run([str(python), "-m", "pip", "install", "-q", "--no-build-isolation", str(package)], cwd=package.parent)


def test_an_optimize_answer_ships_as_a_package(tmp_path: Path, ray_env: dict[str, str], torch_venv: Path) -> None:
    db = f"sqlite:///{tmp_path / 'kw.db'}"
    run = json.loads(_cli(["optimize", "--config", str(PRESET), "--db-url", db, "--json", "--trials", "1",
                           "--out", str(tmp_path / "best.py")], ray_env, tmp_path).stdout)
    assert run["answer"] is not None, run
    package = tmp_path / "pkg"
    written = json.loads(_cli(["export", run["run_id"], "--out", str(package), "--shapes", "4", "--db-url", db,
                               "--json"], ray_env, tmp_path).stdout)
    assert written["package"] == "kw_max_pool2d"
    readme = (package / "README.md").read_text()
    assert "torch.ops.kw_max_pool2d.max_pool2d" in readme and "| task |" in readme
    assert len(Store(db).sweep_for_kernel(run["answer"]["candidate_id"])) == 4

    _install(torch_venv, package)
    # The package's own checks: the op against the reference at every sweep point it passed, and its timing here.
    checks = _run([str(torch_venv), "-m", "pytest", "-q", str(package / "tests")], cwd=tmp_path)
    assert "5 passed" in checks.stdout, checks.stdout  # 4 sweep points and the timing report
    used = _run([str(torch_venv), "-c", USE_IN_A_MODEL.format(name="kw_max_pool2d")], cwd=tmp_path)
    assert used.stdout.strip().endswith("ok")


def test_sweeps_store_verdicts_and_fence_off_where_a_kernel_is_wrong(tmp_path: Path, ray_env: dict[str, str],
                                                                     torch_venv: Path) -> None:
    db = f"sqlite:///{tmp_path / 'kw.db'}"
    examples = ["activation/relu", "reduce/sum_dim1", "pooling/max_pool2d"]
    for task in examples:
        _cli(["eval", task, "example", "--db-url", db, "--json", "--trials", "1"], ray_env, tmp_path)
    store = Store(db)
    for task in examples:
        (kernel,) = store.candidates_for_task(task)
        swept = json.loads(_cli(["sweep", str(kernel.id), "--shapes", "3", "--db-url", db, "--json"],
                                ray_env, tmp_path).stdout)
        assert swept["points"] == 3
        rows = store.sweep_for_kernel(kernel.id)
        assert [r.label for r in rows] == ["task", "odd", "prime"]
        assert all(r.input_shapes for r in rows) and rows[0].result.status.value in ("correct", "unstable")

    task_file, kernel_file = tmp_path / "odd.py", tmp_path / "odd_kernel.py"
    task_file.write_text(ODD_TASK)
    kernel_file.write_text(ODD_KERNEL)
    _cli(["eval", str(task_file), str(kernel_file), "--db-url", db, "--json", "--trials", "1"], ray_env, tmp_path)
    (odd_task,) = [t for t in store.list_tasks() if t.id.startswith("user/odd-")]
    (planted,) = store.candidates_for_task(odd_task.id)
    swept = json.loads(_cli(["sweep", str(planted.id), "--db-url", db, "--json"], ray_env, tmp_path).stdout)
    verdicts = {p["label"]: p["status"] for p in swept["envelope"]["points"]}
    assert verdicts["odd"] == "incorrect" and verdicts["prime"] == "incorrect", verdicts
    assert verdicts["task"] in ("correct", "unstable") and verdicts["DIMx2"] in ("correct", "unstable"), verdicts
    assert swept["envelope"]["multiple_of"] == [[2, 2]]
    shown = _cli(["kernels", "show", str(planted.id), "--plot", str(tmp_path / "sweep.png"), "--db-url", db],
                 ray_env, tmp_path).stdout
    assert "multiple of 2" in shown and (tmp_path / "sweep.png").stat().st_size > 0

    package = tmp_path / "odd_pkg"
    _cli(["export", str(planted.id), "--out", str(package), "--name", "kw_odd", "--db-url", db], ray_env, tmp_path)
    _install(torch_venv, package)
    calls = _run([str(torch_venv), "-c", ODD_CALLS], cwd=tmp_path)
    assert "'alignment': 1" in calls.stdout, calls.stdout
