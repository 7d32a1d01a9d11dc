"""The `cuda` and `triton` platforms: what runs on this machine (static rules, problem sizes, the nvcc compile
check, the Triton interpreter, the CLI label) and, marked `gpu`, what needs a device."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from kernelwright.evaluator.api import evaluate, resolve_size
from kernelwright.evaluator.build.cuda import CudaBuilder, arch_flags, find_nvcc, parse_arch
from kernelwright.evaluator.build.errors import BuildError, UnsafeSourceError
from kernelwright.evaluator.build.job import run_plain
from kernelwright.evaluator.platforms import get_platform
from kernelwright.evaluator.platforms.gpu import cuda_available
from kernelwright.evaluator.request import EvalOptions
from kernelwright.evaluator.result import Reason, Stage, Status, Verification
from kernelwright.evaluator.runner.protocol import BuildRequest
from kernelwright.evaluator.static_checks import check_source
from kernelwright.tasks.errors import TaskLoadError
from kernelwright.tasks.loader import load_task
from kernelwright.tasks.model import Task
from kernelwright.tasks.registry import resolve_task

ROOT = Path(__file__).resolve().parents[2]
KERNELS = Path(__file__).resolve().parent / "gpu_kernels"
RELU_TRITON = (KERNELS / "relu_triton.py").read_text()
RELU_CUDA = (KERNELS / "relu_cuda.py").read_text()
RELU_CPU = ROOT / "tasks" / "suite" / "activation" / "solutions" / "relu.cpu.py"
SINGLE_SIZE_TASK = ROOT / "tests" / "adversarial" / "tasks" / "relu_single_group.py"

gpu_only = pytest.mark.skipif(not cuda_available(), reason="needs an NVIDIA GPU")
needs_nvcc = pytest.mark.skipif(find_nvcc() is None, reason="needs nvcc (the CUDA toolkit)")
no_gpu = pytest.mark.skipif(cuda_available(), reason="checks the fallback used where there is no GPU")


def _fast(**extra: object) -> EvalOptions:
    return EvalOptions.model_validate({"correctness_trials": 1, "timeout_s": 300, **extra})


@pytest.fixture(scope="module")
def relu() -> Task:
    return resolve_task("activation/relu")


# ---- static checks: a kernel for the platform, streams, compile-time Python -------------------------------

CUDA_HEADER = "import torch\nimport torch.nn as nn\nfrom torch.utils.cpp_extension import load_inline\n"
MODEL = "\nclass ModelNew(nn.Module):\n    def forward(self, x):\n        return ext.f(x)\n"
KERNEL_SRC = '"""\\n__global__ void k(float* y) { y[0] = 1.f; }\\ntorch::Tensor f(torch::Tensor x) { return x; }\\n"""'


@pytest.mark.parametrize(("body", "has"), [
    (f"ext = load_inline(name='a', cpp_sources='torch::Tensor f(torch::Tensor x);', cuda_sources={KERNEL_SRC})", True),
    (f"SRC = {KERNEL_SRC}\next = load_inline('a', 'torch::Tensor f(torch::Tensor x);', SRC)", True),
    ("ext = load_inline(name='a', cpp_sources='torch::Tensor f(torch::Tensor x) { return x; }', functions=['f'])",
     False),
    (f"SRC = {KERNEL_SRC}\next = torch", False),
], ids=["cuda_sources", "global_in_source", "cpp_only", "no_builder"])
def test_cuda_has_kernel(body: str, has: bool) -> None:
    source = CUDA_HEADER + body + "\n" + MODEL
    tree = ast.parse(source)
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    assert get_platform("cuda").has_kernel(tree, strings) is has


def test_cuda_without_kernel_is_rejected_naming_the_platform() -> None:
    source = CUDA_HEADER + "ext = load_inline(name='a', cpp_sources='int f() { return 1; }', functions=['f'])\n" + MODEL
    finding = check_source(source, get_platform("cuda"))
    assert finding is not None and finding.reason is Reason.no_kernel
    assert "CUDA" in finding.message and "cuda" in finding.message


TRITON_KERNEL = "def k(x_ptr):\n    pass\n"


@pytest.mark.parametrize(("prefix", "has"), [
    ("import triton\n@triton.jit\n", True),
    ("import triton\n@triton.jit(do_not_specialize=['n'])\n", True),
    ("import triton\n@triton.autotune(configs=[], key=[])\n@triton.jit\n", True),
    ("from triton import jit\n@jit\n", True),
    ("import triton\n", False),
    ("from numba import jit\n@jit\n", False),
], ids=["jit", "jit_call", "autotune", "imported_jit", "undecorated", "other_jit"])
def test_triton_has_kernel(prefix: str, has: bool) -> None:
    tree = ast.parse(prefix + TRITON_KERNEL)
    assert get_platform("triton").has_kernel(tree, []) is has


@pytest.mark.parametrize("line", [
    "s = torch.cuda.Stream()",
    "ctx = torch.cuda.stream(None)",
    "torch.cuda.set_stream(None)",
    "from torch.cuda import ExternalStream",
])
def test_python_side_streams_are_rejected(line: str) -> None:
    finding = check_source(RELU_TRITON.replace("class ModelNew", line + "\n\n\nclass ModelNew"), get_platform("triton"))
    assert finding is not None and finding.reason is Reason.side_stream, finding


def test_current_stream_is_allowed() -> None:
    source = RELU_TRITON.replace("class ModelNew", "CURRENT = torch.cuda.current_stream\n\n\nclass ModelNew")
    assert check_source(source, get_platform("triton")) is None


@pytest.mark.parametrize("call", ["cudaStreamCreate(&s)", "cudaStreamCreateWithPriority(&s, 0, 1)",
                                  "at::cuda::getStreamFromPool()", "c10::cuda::setCurrentCUDAStream(s)"])
def test_native_side_streams_are_rejected(call: str) -> None:
    source = RELU_CUDA.replace("const int threads = 256;", f"{call};\n    const int threads = 256;")
    finding = check_source(source, get_platform("cuda"))
    assert finding is not None and finding.reason is Reason.side_stream, finding


def test_examples_pass_the_static_checks() -> None:
    assert check_source(RELU_TRITON, get_platform("triton")) is None
    assert check_source(RELU_CUDA, get_platform("cuda")) is None


# ---- problem sizes ---------------------------------------------------------------------------------------

def test_default_sizes(relu: Task) -> None:
    assert resolve_size(relu, None, "cpu").size == "cpu"
    expected = "gpu" if cuda_available() else "small"
    for platform in ("cuda", "triton"):
        sized = resolve_size(relu, None, platform)
        assert sized.size == expected and sized.id == relu.id and sized.source_hash != relu.source_hash


def test_explicit_size_and_already_resized_task(relu: Task) -> None:
    gpu = resolve_size(relu, "gpu", "cpu")
    assert gpu.size == "gpu" and "16384, 32768" in gpu.source
    assert resolve_size(gpu, None, "triton") is gpu, "a task the caller resized keeps its size"
    assert resolve_size(gpu, "gpu", "cuda") is gpu


def test_undefined_size_falls_back_by_default_and_fails_when_named() -> None:
    task = load_task(SINGLE_SIZE_TASK)
    assert task.sizes == ["cpu"]
    assert resolve_size(task, None, "triton").size == "cpu"
    with pytest.raises(TaskLoadError, match="small"):
        resolve_size(task, "small", "triton")


# ---- CUDA builder pieces ---------------------------------------------------------------------------------

def test_arch_flags_target_exactly_the_device() -> None:
    assert arch_flags((9, 0)) == ["-gencode=arch=compute_90a,code=sm_90a"]
    assert arch_flags((8, 6)) == ["-gencode=arch=compute_86,code=sm_86"]
    assert parse_arch("9.0") == parse_arch("sm_90a") == parse_arch("90") == (9, 0)
    assert parse_arch("12.0") == (12, 0)
    with pytest.raises(ValueError):
        parse_arch("x")


def test_nvcc_flags_keep_tuning_drop_owned_refuse_files() -> None:
    kept = CudaBuilder._nvcc_flags(["--use_fast_math", "-DTILE=64", "-O0", "-arch=sm_50", "-std=c++14",
                                    "-Xptxas=-v", "--maxrregcount=64", "-Xcompiler=-include/etc/passwd"])
    assert kept == ["--use_fast_math", "-DTILE=64", "-Xptxas=-v", "--maxrregcount=64"]
    for flag in ("-include/etc/passwd", "--output-file=/tmp/x", "-I/root", "--keep-dir=/tmp"):
        with pytest.raises(UnsafeSourceError, match="not allowed"):
            CudaBuilder._nvcc_flags([flag])


@needs_nvcc
def test_cuda_build_refuses_an_nvcc_that_does_not_match_torch(tmp_path: Path) -> None:
    builder = CudaBuilder((9, 0), run=True, cache_dir=tmp_path)
    torch_cuda = str(torch.version.cuda)
    if builder.nvcc_release.split(".")[0] == torch_cuda.split(".")[0]:
        pytest.skip(f"nvcc {builder.nvcc_release} matches torch's CUDA {torch_cuda}")
    with pytest.raises(BuildError, match="same major version"):
        builder.build(BuildRequest(name="k", cpp_sources=[""], cuda_sources=["__global__ void k() {}"]), run_plain)


# ---- without a GPU: the nvcc compile check ----------------------------------------------------------------

@no_gpu
@needs_nvcc
@pytest.mark.slow
def test_cuda_compile_check_is_never_correct(relu: Task) -> None:
    result = evaluate(relu, RELU_CUDA, "cuda", _fast())
    assert result.status is Status.build_ok_unverified, result.message + result.log[-2000:]
    assert result.verification is Verification.compile_only and result.stage is Stage.build
    assert result.speedup is None and result.timing is None and not result.is_correct
    assert "nothing ran" in result.message and result.size == "small"


@no_gpu
@needs_nvcc
@pytest.mark.slow
def test_cuda_compile_error_is_readable(relu: Task) -> None:
    broken = RELU_CUDA.replace("v.x = fmaxf(v.x, 0.f);", "v.x = fmaxf(v.x, 0.f) +;")
    result = evaluate(relu, broken, "cuda", _fast())
    assert (result.status, result.reason) == (Status.build_error, Reason.compile_error), result.message
    assert "compiling the CUDA kernel failed" in result.message
    assert "kernel.cu" in result.log and "error" in result.log


@no_gpu
@needs_nvcc
@pytest.mark.slow
def test_cuda_constructor_that_needs_a_gpu_still_reports_the_compile(relu: Task) -> None:
    source = RELU_CUDA.replace("        super().__init__()\n",
                               "        super().__init__()\n        self.scale = torch.ones(1, device='cuda')\n")
    result = evaluate(relu, source, "cuda", _fast())
    assert result.status is Status.build_ok_unverified, result.message
    assert "could not be constructed without a GPU" in result.message


@no_gpu
def test_cuda_kernel_built_lazily_cannot_be_compile_checked(relu: Task) -> None:
    lazy = RELU_CUDA.replace("relu_ext = load_inline(", "def build():\n    return load_inline(").replace(
        "return relu_ext.relu_forward(x)", "return build().relu_forward(x)")
    if find_nvcc() is None:
        pytest.skip("needs nvcc")
    result = evaluate(relu, lazy, "cuda", _fast())
    assert (result.status, result.reason) == (Status.build_error, Reason.kernel_not_built), result.message
    assert "module level or in __init__" in result.message


@no_gpu
def test_cuda_without_nvcc_says_the_machine_lacks_it(relu: Task, monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CUDA_HOME", raising=False)
    monkeypatch.delenv("CUDA_PATH", raising=False)
    result = evaluate(relu, RELU_CUDA, "cuda", _fast())
    assert (result.status, result.reason) == (Status.build_error, Reason.no_toolchain)
    assert "no GPU and no nvcc" in result.message


# ---- without a GPU: the Triton interpreter ----------------------------------------------------------------

@no_gpu
def test_triton_interpreted_is_correct_but_never_timed(relu: Task) -> None:
    result = evaluate(relu, RELU_TRITON, "triton", _fast(timing=True))
    assert result.status is Status.correct, result.message + result.log[-2000:]
    assert result.verification is Verification.interpreter and result.size == "small"
    assert result.speedup is None and result.timing is None and result.baseline_ms is None
    assert "not timed" in result.message and result.correctness is not None and result.correctness.input_groups > 1


@no_gpu
def test_triton_interpreted_wrong_kernel_is_incorrect(relu: Task) -> None:
    result = evaluate(relu, RELU_TRITON.replace("tl.maximum(x, 0.0)", "tl.minimum(x, 0.0)"), "triton", _fast())
    assert (result.status, result.reason) == (Status.incorrect, Reason.output_mismatch), result.message
    assert result.verification is Verification.interpreter


@no_gpu
def test_triton_kernel_that_is_never_launched(relu: Task) -> None:
    lazy = RELU_TRITON.replace("relu_kernel[(triton.cdiv(n, block),)](x, y, n, BLOCK=block)", "del block")
    result = evaluate(relu, lazy, "triton", _fast())
    assert (result.status, result.reason) == (Status.rejected, Reason.kernel_not_called), result.message


@no_gpu
def test_cli_labels_interpreted_results(tmp_path: Path) -> None:
    env = dict(os.environ, KERNELWRIGHT_DB_URL=f"sqlite:///{tmp_path / 'kw.db'}")
    cmd = [sys.executable, "-m", "kernelwright.cli", "eval", "activation/relu", "example", "--platform", "triton",
           "--no-store", "--trials", "1"]
    as_json = subprocess.run([*cmd, "--json"], capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert data["status"] == "correct" and data["verification"] == "interpreter" and data["size"] == "small"
    assert data["speedup"] is None
    table = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)
    assert table.returncode == 0, table.stderr
    assert "interpreted: correctness only" in table.stdout and "checked" in table.stdout


def test_cli_rejects_an_undefined_size(tmp_path: Path) -> None:
    env = dict(os.environ, KERNELWRIGHT_DB_URL=f"sqlite:///{tmp_path / 'kw.db'}")
    proc = subprocess.run([sys.executable, "-m", "kernelwright.cli", "eval", str(SINGLE_SIZE_TASK),
                           str(RELU_CPU), "--size", "gpu", "--no-store", "--json"],
                          capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)
    assert proc.returncode != 0
    assert "no 'gpu' size" in proc.stdout + proc.stderr


# ---- on a GPU -------------------------------------------------------------------------------------------

@pytest.mark.gpu
@gpu_only
@pytest.mark.parametrize("platform", ["cuda", "triton"])
def test_gpu_examples_are_correct_and_timed(relu: Task, platform: str) -> None:
    source = RELU_CUDA if platform == "cuda" else RELU_TRITON
    result = evaluate(relu, source, platform, _fast(buckets=4, min_bucket_ms=2.0))
    assert result.status in (Status.correct, Status.unstable), result.message + result.log[-2000:]
    assert result.verification is Verification.native and result.size == "gpu"
    if result.status is Status.correct:
        assert result.speedup is not None and result.candidate_ms is not None and result.candidate_ms > 0
        assert result.achieved_gbps is not None


@pytest.mark.gpu
@gpu_only
def test_gpu_peaks_are_measured_and_cached() -> None:
    peaks = get_platform("cuda").peaks()
    assert peaks is not None and peaks.gbps > 100 and peaks.gflops > 1000
    assert get_platform("triton").peaks() == peaks


@pytest.mark.gpu
@gpu_only
def test_cuda_output_left_on_the_host_is_rejected(relu: Task) -> None:
    source = RELU_CUDA.replace("return relu_ext.relu_forward(x)", "return relu_ext.relu_forward(x).cpu()")
    result = evaluate(relu, source, "cuda", _fast(timing=False))
    assert (result.status, result.reason) == (Status.incorrect, Reason.output_device), result.message
