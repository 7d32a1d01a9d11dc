"""`kernelwright export`: a stored kernel as a pip-installable package that registers a PyTorch custom op.

The package compiles the kernel's extensions at install (torch's `CppExtension`/`CUDAExtension`, no JIT at
import), registers `torch.ops.<package>.<op>` with a fake (shape) implementation so `torch.compile` traces
through it, dispatches to the kernel only inside the envelope its sweep verified (the reference elsewhere, with a
fallback counter), and gives the reference's backward. One package can hold a kernel per device type.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from kernelwright.agent.export.kernels import ExportedKernel, ExportedPackage
from kernelwright.agent.export.package_setup import compiler_features
from kernelwright.agent.export.readme import package_readme
from kernelwright.agent.export.sources import ExportError, NativeBuild, binding_source, native_builds
from kernelwright.evaluator.build.cpp import HOST_TUNED_FLAGS, measured_flags
from kernelwright.evaluator.build.errors import UnsafeSourceError
from kernelwright.evaluator.platforms import platform_class
from kernelwright.evaluator.result import HARNESS_VERSION
from kernelwright.tasks.sizes import rewrite_constants

# Copied verbatim into every package (they read its export.json at import, so Kernelwright never imports them).
RUNTIME_FILE = Path(__file__).with_name("package_runtime.py")
CHECKS_FILE = Path(__file__).with_name("package_checks.py")
CHECK_FILE = Path(__file__).with_name("package_check.py")
APPLY_FILE = Path(__file__).with_name("package_apply.py")
SETUP_FILE = Path(__file__).with_name("package_setup.py")
CUDA_PRELUDE = "#include <torch/types.h>\n#include <cuda.h>\n#include <cuda_runtime.h>\n"


def package_name(task_name: str) -> str:
    """A Python package name for a task's export (`relu` -> `kw_relu`)."""
    return "kw_" + re.sub(r"\W+", "_", task_name).strip("_").lower()


def _point_file(label: str) -> str:
    return "p_" + re.sub(r"\W+", "_", label).strip("_")


def _build_config(name: str, builds: list[NativeBuild], measured_cpu: str) -> dict[str, Any]:
    """What the package's setup.py builds (see package_setup.py): each extension with the flags it was measured with,
    and the CPU features those flags assume on this machine."""
    extensions = []
    for b in builds:
        sources = [f"src/{name}/csrc/{b.module}.cpp"] + ([f"src/{name}/csrc/{b.module}_cuda.cu"]
                                                         if b.cuda_sources else [])
        try:
            cxx, link = measured_flags(b.extra_cflags, b.extra_ldflags)
        except UnsafeSourceError as exc:  # the evaluator refuses such a kernel too: it was never measured
            raise ExportError(f"extension {b.name!r}: {exc}") from exc
        extensions.append({"name": f"{name}.{b.module}", "sources": sources, "cxx": cxx, "link": link,
                           "nvcc": ["-O3", *b.extra_cuda_cflags] if b.cuda_sources else None})
    features = compiler_features()
    if features is None:
        raise ExportError("the C++ compiler cannot say which CPU features -march=native assumes here")
    return {"package": name, "extensions": extensions, "assumed_features": features,
            "tuned_flags": list(HOST_TUNED_FLAGS), "measured_cpu": measured_cpu}


def _pyproject() -> str:
    return ('[build-system]\nrequires = ["setuptools>=70.1", "torch"]\nbuild-backend = "setuptools.build_meta"\n\n'
            '# Install with `pip install --no-build-isolation ".[test]"` so the build uses the torch you run with.\n'
            '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n'
            'markers = ["timing: times the op against the reference on this machine (reports, never asserts, a '
            'speedup)"]\n')


def _init_py(name: str, op: str) -> str:
    return (f'"""{name}: an exported Kernelwright kernel as `torch.ops.{name}.{op}` (see README.md)."""\n\n'
            "from ._runtime import (Module, build_info, fallback_count, fallback_reasons, kernel_calls, op,\n"
            "                       reset_fallbacks)\n\n"
            '__all__ = ["Module", "build_info", "fallback_count", "fallback_reasons", "kernel_calls", "op",\n'
            '           "reset_fallbacks"]\n')


def _checked(kernels: list[ExportedKernel]) -> None:
    if not kernels:
        raise ExportError("nothing to export")
    tasks = {k.kernel.task.id for k in kernels}
    if len(tasks) != 1:
        raise ExportError(f"one package holds kernels of one task; got {sorted(tasks)}")
    devices = [k.envelope.device for k in kernels]
    if len(set(devices)) != len(devices):
        raise ExportError(f"one kernel per device type; got {devices}")
    for k in kernels:
        if k.envelope.empty:
            raise ExportError(f"kernel {k.kernel.candidate_id} passed at no sweep point: nothing to export "
                              f"(sweep it with `kernelwright sweep {k.kernel.candidate_id}`)")
        if any(rank is None for rank in k.envelope.ranks):
            raise ExportError("the op's inputs must all be tensors (this task passes other values to forward)")


def kernel_builds(source: str, platform: str) -> list[NativeBuild]:
    """The native extensions the package compiles ahead of time for a kernel of `platform` (none for a platform
    whose kernels ship as Python and compile where they run)."""
    return native_builds(source) if platform_class(platform).exports_native_builds else []


def export_package(kernels: list[ExportedKernel], out_dir: Path, name: str | None = None) -> ExportedPackage:
    """Write the package for `kernels` (one per device type, all of one task) to `out_dir`."""
    _checked(kernels)
    task = kernels[0].kernel.task
    name = name or package_name(task.name)
    if not name.isidentifier():
        raise ExportError(f"{name!r} is not a Python package name")
    op_name = re.sub(r"\W+", "_", task.name).strip("_").lower() or "op"
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ExportError(f"{out_dir} is not empty; choose a new folder")
    pkg = out_dir / "src" / name
    (pkg / "csrc").mkdir(parents=True)
    (pkg / "_points").mkdir()
    (out_dir / "tests").mkdir()
    builds: list[NativeBuild] = []
    spec_kernels: dict[str, Any] = {}
    for k in kernels:
        module = f"_kernel_{k.envelope.device}"
        (pkg / f"{module}.py").write_text(k.kernel.source)
        builds.extend(kernel_builds(k.kernel.source, k.kernel.platform))
        claims = {_point_file(p.label): {"speedup": p.speedup, "speedup_ci": p.speedup_ci}
                  for p in k.envelope.points if p.correct}
        spec_kernels[k.envelope.device] = {"module": module, "platform": k.kernel.platform,
                                           "kernel_id": k.kernel.candidate_id, "hardware": k.hardware,
                                           "run_id": k.run_id, "envelope": k.envelope.model_dump(exclude={"points"}),
                                           "claims": claims}
    for b in builds:
        (pkg / "csrc" / f"{b.module}.cpp").write_text(binding_source(b))
        if b.cuda_sources:
            (pkg / "csrc" / f"{b.module}_cuda.cu").write_text(CUDA_PRELUDE + "\n".join(b.cuda_sources))
    points = {_point_file(p.label): p for k in kernels for p in k.envelope.points if p.correct}
    for file, point in points.items():
        source = rewrite_constants(task.source, point.constants) if point.constants else task.source
        (pkg / "_points" / f"{file}.py").write_text(source)
    spec = {"package": name, "namespace": name, "op": op_name, "task_id": task.id, "task_hash": task.source_hash,
            "harness_version": HARNESS_VERSION, "tolerance": task.tolerance.model_dump(),
            "extensions": {b.name: b.module for b in builds}, "kernels": spec_kernels,
            "test_points": sorted(points),
            "faster_points": sorted(f for f, p in points.items() if p.faster)}
    text = json.dumps(spec, indent=1)
    (pkg / "export.json").write_text(text)
    (out_dir / "tests" / "package.json").write_text(json.dumps({"package": name}))
    (pkg / "_reference.py").write_text(task.source)
    shutil.copyfile(RUNTIME_FILE, pkg / "_runtime.py")
    shutil.copyfile(CHECKS_FILE, out_dir / "tests" / "test_exported_op.py")
    shutil.copyfile(CHECK_FILE, pkg / "check.py")
    shutil.copyfile(APPLY_FILE, pkg / "apply.py")
    shutil.copyfile(SETUP_FILE, out_dir / "setup.py")
    # The cpu platform describes its hardware as "<model name> (N cores, M threads used)".
    measured_cpu = next((k.hardware.rsplit(" (", 1)[0] for k in kernels if k.envelope.device == "cpu" and k.hardware),
                        "")
    build = _build_config(name, builds, measured_cpu)
    (out_dir / "build.json").write_text(json.dumps(build, indent=1))
    (pkg / "__init__.py").write_text(_init_py(name, op_name))
    (out_dir / "pyproject.toml").write_text(_pyproject())
    (out_dir / "README.md").write_text(package_readme(name, op_name, task, kernels, build))
    return ExportedPackage(path=out_dir, package=name, op=op_name, devices=list(spec_kernels))
