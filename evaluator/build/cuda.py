"""A cached replacement for `torch.utils.cpp_extension.load_inline` with `cuda_sources` (the `cuda` platform).

Like torch's own `load_inline`, the C++ sources (declarations and the generated pybind11 module) go in one
file and the CUDA sources in another. The C++ file is compiled by the CPU builder, with its precompiled
light header; the CUDA file by nvcc, with a light `<torch/extension.h>` (ATen and the current CUDA stream,
without the C++ frontend that would cost nvcc another minute), for exactly the device's architecture.
Builds happen on the build jail's capped tmpfs (`job.py`), and only the module lands in a cache keyed by a hash of
the sources, flags, toolchain and architecture.

Without a GPU (`run=False`) the same two compiles run and nothing is linked or loaded: the module that
comes back says so when called. That is the compile check behind `build_ok_unverified`.

Like the C++ builder, this runs on the judge's side, with nvcc and the host compiler started by the caller's
`CommandRunner` in a build jail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path

from kernelwright.evaluator.build.cache import cache_root, content_key, file_lock, touch
from kernelwright.evaluator.build.cpp import LITE_HEADER, MAX_ERRORS_FLAG, BuiltModule, CppBuilder
from kernelwright.evaluator.build.errors import BuildError, UnsafeSourceError
from kernelwright.evaluator.build.job import BuildJob, BuildStep, CommandRunner, execute
from kernelwright.evaluator.runner.protocol import BuildRequest
from kernelwright.evaluator.static_checks.native_code import native_code_finding

# The architecture compile checks target without a device: the H100 (override with KERNELWRIGHT_CUDA_ARCH).
DEFAULT_ARCH = "9.0"

CUDA_LITE_HEADER = LITE_HEADER.replace(
    "#include <torch/csrc/utils/pybind.h>",
    "#include <c10/cuda/CUDAStream.h>\n#include <cuda.h>\n#include <cuda_runtime.h>",
).replace("Kernelwright's light stand-in for <torch/extension.h>",
          "Kernelwright's light stand-in for <torch/extension.h> and <torch/types.h> in CUDA sources")

# A generated header CPU-only torch wheels leave out (compile checks usually run with one); its whole content
# is this macro. It sits in a folder searched after torch's, so a CUDA build of torch uses its own.
_CMAKE_MACROS = "#pragma once\n#define C10_CUDA_BUILD_SHARED_LIBS\n"

# What torch's own extension builds pass nvcc; kernels written for `load_inline` expect the same environment.
BASE_NVCC_FLAGS = ["-O3", "-std=c++20", "--expt-relaxed-constexpr", "-w", "-D__CUDA_NO_HALF_OPERATORS__",
                   "-D__CUDA_NO_HALF_CONVERSIONS__", "-D__CUDA_NO_BFLOAT16_CONVERSIONS__",
                   "-D__CUDA_NO_HALF2_OPERATORS__"]
# Flags the harness owns (optimisation level, language level, target architecture): dropped if given.
_OWNED_NVCC = ("-O", "-std", "--std", "-arch", "--gpu-architecture", "-gencode", "--generate-code", "-code",
               "--gpu-code", "-ccbin", "--compiler-bindir", "-Xcompiler", "--compiler-options")
# Candidate nvcc flags may tune code generation, never name a file (row 15, as for the C++ flags).
_SAFE_NVCC = re.compile(r"-(D[A-Za-z_]\w*(=[\w.+-]*)?|U[A-Za-z_]\w*|-?use_fast_math|lineinfo"
                        r"|-?extra-device-vectorization|-?maxrregcount[= ]?\d+|-?expt-extended-lambda"
                        r"|-?expt-relaxed-constexpr|-?ftz=(true|false)"
                        r"|-?prec-div=(true|false)|-?prec-sqrt=(true|false)|-?fmad=(true|false)"
                        r"|Xptxas[= ](-v|-O[0-3]|--allow-expensive-optimizations=true)(,(-v|-O[0-3]))*)")
_MISSING_HEADER = re.compile(r"fatal error: ((cusparse|cublas\w*|cusolver\w*|curand\w*|cufft\w*|cudnn\w*)\.h)")


def find_nvcc() -> str | None:
    """nvcc from $CUDA_HOME / $CUDA_PATH, else from PATH; None when there is none."""
    for env in ("CUDA_HOME", "CUDA_PATH"):
        home = os.environ.get(env)
        if home and (Path(home) / "bin" / "nvcc").is_file():
            return str(Path(home) / "bin" / "nvcc")
    return shutil.which("nvcc")


def arch_flags(capability: tuple[int, int]) -> list[str]:
    """nvcc flags for exactly one device generation.

    From sm_90 on, the `a` targets (sm_90a, sm_100a) unlock the generation's own instructions (wgmma, TMA),
    and code built for them runs only on that generation, which is the device in front of us.
    """
    major, minor = capability
    arch = f"{major}{minor}" + ("a" if major >= 9 else "")
    return [f"-gencode=arch=compute_{arch},code=sm_{arch}"]


def parse_arch(text: str) -> tuple[int, int]:
    """`9.0`, `90` or `sm_90a` -> (9, 0)."""
    digits = re.sub(r"[^0-9.]", "", text.replace("sm_", ""))
    if "." in digits:
        major, minor = digits.split(".", 1)
        return int(major), int(minor or 0)
    if len(digits) < 2:
        raise ValueError(f"cannot read a CUDA architecture from {text!r} (try 9.0 or sm_90)")
    return int(digits[:-1]), int(digits[-1])


class CudaBuilder:
    """Compiles CUDA `load_inline` extensions with nvcc (and their C++ half with the CPU builder), cached."""

    def __init__(self, capability: tuple[int, int], run: bool, cache_dir: Path | None = None,
                 nvcc: str | None = None) -> None:
        self.nvcc = nvcc or find_nvcc()
        self.cache_dir = cache_dir
        self.capability = capability
        self.run = run

    @cached_property
    def cpp(self) -> CppBuilder:
        """The CPU builder, for the C++ half (its precompiled light header) and torch's paths and flags."""
        return CppBuilder(self.cache_dir)

    @cached_property
    def root(self) -> Path:
        return (self.cache_dir or cache_root()) / "cuda" / self.toolchain_key

    @cached_property
    def toolchain_key(self) -> str:
        """nvcc's version, the host toolchain's key and the target architecture: anything that changes the binary."""
        version = subprocess.run([str(self.nvcc), "--version"], capture_output=True, text=True).stdout.strip()
        return content_key(version.splitlines()[-1] if version else str(self.nvcc), self.cpp.toolchain_key,
                           " ".join(BASE_NVCC_FLAGS), *arch_flags(self.capability))

    @cached_property
    def nvcc_release(self) -> str:
        """nvcc's CUDA release (`12.8`), from `nvcc --version`."""
        version = subprocess.run([str(self.nvcc), "--version"], capture_output=True, text=True).stdout
        found = re.search(r"release (\d+\.\d+)", version)
        return found.group(1) if found else "unknown"

    def _check_cuda_versions(self) -> None:
        """Refuse, as torch's own extension builder does, an nvcc whose CUDA major version differs from torch's:
        the kernel would link a second CUDA runtime into the process."""
        import torch

        torch_cuda = str(torch.version.cuda)
        if self.nvcc_release.split(".")[0] != torch_cuda.split(".")[0]:
            raise BuildError(f"nvcc is CUDA {self.nvcc_release} but torch was built with CUDA {torch_cuda}: point "
                             "CUDA_HOME at a toolkit of the same major version (this is the machine's set-up, not "
                             "the kernel)")

    @property
    def shadow_dir(self) -> Path:
        """Holds the light `torch/extension.h` and `torch/types.h` that CUDA sources see (no PCH: nvcc has none)."""
        return self.root / "shadow"

    @property
    def fallback_dir(self) -> Path:
        """Searched after torch's own headers: supplies only what a CPU-only torch wheel lacks."""
        return self.root / "fallback"

    def _ensure_shadow(self) -> None:
        with file_lock(self.root / "shadow.lock"):
            for name in ("extension.h", "types.h"):
                header = self.shadow_dir / "torch" / name
                if not header.exists():
                    header.parent.mkdir(parents=True, exist_ok=True)
                    header.write_text(CUDA_LITE_HEADER)
            shim = self.fallback_dir / "c10" / "cuda" / "impl" / "cuda_cmake_macros.h"
            if not shim.exists():
                shim.parent.mkdir(parents=True, exist_ok=True)
                shim.write_text(_CMAKE_MACROS)

    @cached_property
    def _cuda_paths(self) -> tuple[list[str], list[str]]:
        home = Path(str(self.nvcc)).resolve().parent.parent
        return [str(home / "include")], [str(p) for p in (home / "lib64", home / "lib") if p.is_dir()]

    @staticmethod
    def _nvcc_flags(flags: Iterable[str] | None) -> list[str]:
        kept = [f for f in (flags or []) if not f.startswith(_OWNED_NVCC)]
        for flag in kept:
            if not _SAFE_NVCC.fullmatch(flag):
                raise UnsafeSourceError(f"nvcc flag {flag!r} is not allowed: kernels may pass -D/-U macros, "
                                        "--use_fast_math, -lineinfo, --maxrregcount and a few -Xptxas options, "
                                        "nothing that names a file")
        return kept

    @property
    def ext_dir(self) -> Path:
        """Where built modules live; runners see it read-only."""
        return self.root / "ext"

    def read_only_dirs(self) -> list[str]:
        """What a build jail sees besides the system and Python: the toolkit and both light-header folders."""
        toolkit = str(Path(str(self.nvcc)).resolve().parent.parent) if self.nvcc else ""
        self._ensure_shadow()
        return [p for p in (toolkit, str(self.cpp.pch_dir), str(self.shadow_dir), str(self.fallback_dir)) if p]

    def build(self, request: BuildRequest, run: CommandRunner) -> BuiltModule:
        """Screen `request`, then compile it with `run` (or find it in the cache)."""
        if self.nvcc is None:
            raise BuildError("nvcc not found: install the CUDA toolkit or set CUDA_HOME")
        if self.run:
            self._check_cuda_versions()
        CppBuilder.check_request(request)
        if not request.cuda_sources:
            raise BuildError("the `cuda` platform builds CUDA kernels: pass your kernels as `cuda_sources`")
        cflags = CppBuilder.candidate_flags(request.extra_cflags)
        nvflags = self._nvcc_flags(request.extra_cuda_cflags)
        ldflags = CppBuilder.candidate_flags([f for f in request.extra_ldflags if f != "-fopenmp"],
                                             re.compile(r"-l[\w.+-]+"))
        cpp, cuda, funcs = request.cpp_sources, request.cuda_sources, request.functions
        key = content_key(self.toolchain_key, request.name, *cpp, "\x01", *cuda, repr(funcs), *cflags, *nvflags,
                          *ldflags)
        mod_name = f"{''.join(c if c.isalnum() else '_' for c in request.name)}_{key}"
        main_source = CppBuilder.module_source(mod_name, cpp, funcs)
        cuda_source = "#include <torch/types.h>\n" + "\n".join(cuda) + "\n"
        # The static check read string literals; this is what will really be compiled (row 15).
        for text in (main_source, cuda_source):
            finding = native_code_finding(text)
            if finding is not None:
                raise UnsafeSourceError(finding.message)
        out_dir = self.ext_dir / mod_name
        done = out_dir / (f"{mod_name}.so" if self.run else "compiled.ok")
        lock = self.root / "locks" / f"{mod_name}.lock"
        with file_lock(lock, shared=True):  # see CppBuilder.build: eviction takes it exclusively
            if done.exists():
                return BuiltModule(done, compiled_only=not self.run, cache_hit=True, stamp=touch(out_dir))
        with file_lock(lock):
            if not done.exists():
                self._build(mod_name, main_source, cuda_source, cflags, nvflags, ldflags, done, run)
            return BuiltModule(done, compiled_only=not self.run, stamp=touch(out_dir))

    def _build(self, mod_name: str, main_source: str, cuda_source: str, cflags: list[str], nvflags: list[str],
               ldflags: list[str], done: Path, run: CommandRunner) -> None:
        self.cpp.ensure_pch()
        self._ensure_shadow()
        includes, libdirs = self.cpp._torch_paths
        cuda_includes, cuda_libdirs = self._cuda_paths
        import torch

        abi = int(torch._C._GLIBCXX_USE_CXX11_ABI)
        cpp_cmd = [self.cpp.compiler, f"-I{self.cpp.pch_dir}", *self.cpp._common_flags(),
                   *(f"-I{p}" for p in cuda_includes), *cflags, MAX_ERRORS_FLAG, f"-DTORCH_EXTENSION_NAME={mod_name}",
                   "-DTORCH_API_INCLUDE_EXTENSION_H", "-c", "main.cpp", "-o", "main.o"]
        # The shadow folder comes first so `<torch/extension.h>` and `<torch/types.h>` find the light header.
        nvcc_cmd = [str(self.nvcc), "-ccbin", self.cpp.compiler, *BASE_NVCC_FLAGS, *arch_flags(self.capability),
                    "-Xcompiler", "-fPIC", f"-D_GLIBCXX_USE_CXX11_ABI={abi}",
                    f"-I{self.shadow_dir}", *(f"-I{p}" for p in includes), f"-I{self.fallback_dir}", *nvflags,
                    f"-DTORCH_EXTENSION_NAME={mod_name}", "-c", "kernel.cu", "-o", "kernel.o"]
        steps = [BuildStep("compiling the C++ declarations", cpp_cmd), BuildStep("compiling the CUDA kernel", nvcc_cmd)]
        if self.run:
            link_cmd = [self.cpp.compiler, "-shared", "main.o", "kernel.o", "-o", "kernel.so",
                        *(f"-L{d}" for d in [*libdirs, *cuda_libdirs]),
                        *(f"-Wl,-rpath,{d}" for d in [*libdirs, *cuda_libdirs]),
                        "-lc10", "-ltorch", "-ltorch_cpu", "-ltorch_python", "-lc10_cuda", "-ltorch_cuda",
                        "-lcudart", *ldflags]
            steps.append(BuildStep("linking the CUDA extension", link_cmd))
        job = BuildJob(files={"main.cpp": main_source, "kernel.cu": cuda_source}, steps=steps,
                       output="kernel.so" if self.run else None)
        try:
            execute(job, run, done if self.run else None)
        except UnsafeSourceError:
            raise
        except BuildError as exc:
            raise BuildError(f"{exc}{_toolkit_hint(exc.log)}", exc.log) from None
        if not self.run:
            done.parent.mkdir(parents=True, exist_ok=True)
            done.write_text("compiled with " + " ".join(arch_flags(self.capability)) + "\n")


def _toolkit_hint(log: str) -> str:
    """A note when the failure is the machine's CUDA toolkit, not the kernel: a math library's header is missing."""
    missing = _MISSING_HEADER.search(log)
    if missing is None:
        return ""
    return (f" ({missing.group(1)} is not installed with this CUDA toolkit; for the current stream include "
            "<c10/cuda/CUDAStream.h> rather than <ATen/cuda/CUDAContext.h>)")
