"""What `export_package` writes, without installing it: one package for a CPU and a CUDA kernel of one task."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from kernelwright.agent.export.envelope import PointVerdict, envelope_of
from kernelwright.agent.export.kernels import ExportedKernel
from kernelwright.agent.export.package import export_package
from kernelwright.agent.export.package_setup import compiler_features
from kernelwright.agent.export.sources import ExportError
from kernelwright.agent.sweep import KernelToSweep
from kernelwright.evaluator.build.cpp import BASE_FLAGS, measured_flags
from kernelwright.evaluator.result import Status
from kernelwright.tasks.loader import load_task

SUITE = Path(__file__).resolve().parents[2] / "tasks" / "suite" / "activation"


def _kernel(platform: str, device: str, kernel_id: int, passed: bool = True) -> ExportedKernel:
    task = load_task(SUITE / "relu.py")
    source = (SUITE / "solutions" / f"relu.{platform}.py").read_text()
    points = [PointVerdict(label=label, constants=constants, input_shapes=[shape], input_dtypes=["float32"],
                           status=Status.correct if passed else Status.incorrect, speedup=2.0, speedup_ci=(1.8, 2.2))
              for label, constants, shape in (("task", {}, [192, 16384]), ("BATCH/2", {"BATCH": 96}, [96, 16384]))]
    return ExportedKernel(kernel=KernelToSweep(candidate_id=kernel_id, platform=platform, source=source, task=task),
                          envelope=envelope_of(points, device), hardware=f"{device} box")


def test_one_package_registers_a_kernel_per_device_type(tmp_path: Path) -> None:
    written = export_package([_kernel("cpu", "cpu", 1), _kernel("cuda", "cuda", 2)], tmp_path / "out")
    assert written.devices == ["cpu", "cuda"] and written.package == "kw_relu"
    pkg = tmp_path / "out" / "src" / "kw_relu"
    spec = json.loads((pkg / "export.json").read_text())
    assert spec["kernels"]["cpu"]["module"] == "_kernel_cpu" and spec["kernels"]["cuda"]["kernel_id"] == 2
    assert spec["test_points"] == ["p_BATCH_2", "p_task"]
    assert "BATCH, DIM = 96, 16384" in (pkg / "_points" / "p_BATCH_2.py").read_text()
    ast.parse((tmp_path / "out" / "setup.py").read_text())
    build = json.loads((tmp_path / "out" / "build.json").read_text())
    assert [(e["name"], e["nvcc"] is not None) for e in build["extensions"]] == [
        ("kw_relu._ext_relu_ext", False), ("kw_relu._ext_relu_cuda", True)]
    cuda_files = list((pkg / "csrc").glob("*_cuda.cu"))
    assert len(cuda_files) == 1 and cuda_files[0].read_text().startswith("#include <torch/types.h>")
    readme = (tmp_path / "out" / "README.md").read_text()
    assert "## cpu: kernel 1 (cpu)" in readme and "## cuda: kernel 2 (cuda)" in readme
    for name in ("_runtime.py", "_kernel_cpu.py", "_kernel_cuda.py", "_reference.py", "__init__.py", "check.py"):
        ast.parse((pkg / name).read_text())


def test_exports_that_cannot_work_are_refused_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="passed at no sweep point"):
        export_package([_kernel("cpu", "cpu", 1, passed=False)], tmp_path / "a")
    with pytest.raises(ExportError, match="one kernel per device type"):
        export_package([_kernel("cpu", "cpu", 1), _kernel("cpu", "cpu", 3)], tmp_path / "b")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "x").write_text("")
    with pytest.raises(ExportError, match="not empty"):
        export_package([_kernel("cpu", "cpu", 1)], tmp_path / "c")


def test_the_package_compiles_with_the_flags_the_evaluator_timed(tmp_path: Path) -> None:
    export_package([_kernel("cpu", "cpu", 1)], tmp_path / "out")
    build = json.loads((tmp_path / "out" / "build.json").read_text())
    (ext,) = build["extensions"]
    assert ext["cxx"] == measured_flags([], [])[0] and ext["cxx"][:len(BASE_FLAGS)] == BASE_FLAGS
    assert "-march=native" in ext["cxx"] and build["tuned_flags"] == ["-march=native"]
    assert build["assumed_features"] == compiler_features()
    assert build["measured_cpu"] == "cpu box"  # `_kernel`'s hardware description, without a "(cores...)" tail
    readme = (tmp_path / "out" / "README.md").read_text()
    assert "## Build" in readme and "python -m kw_relu.check" in readme


def test_a_kernel_whose_flags_the_evaluator_refuses_is_not_exported(tmp_path: Path) -> None:
    kernel = _kernel("cpu", "cpu", 1)
    source = kernel.kernel.source.replace('extra_cflags=["-O3"]', 'extra_cflags=["-include/etc/shadow"]')
    assert source != kernel.kernel.source
    bad = kernel.model_copy(update={"kernel": kernel.kernel.model_copy(update={"source": source})})
    with pytest.raises(ExportError, match="not allowed"):
        export_package([bad], tmp_path / "out")
