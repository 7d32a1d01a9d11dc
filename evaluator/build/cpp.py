"""Judge side of a candidate's C++ `load_inline`: screen, compile in a build jail, store in the cache.

Plain `load_inline` spends ~30 s per kernel on this kind of machine, almost all of it parsing
`<torch/extension.h>` (the whole C++ frontend). Candidates only need tensors and pybind11, so we
shadow that header with a light one (ATen + torch's pybind casters), precompile it once per toolchain,
and key every build by a hash of its sources, flags and toolchain: a cold kernel builds in seconds
and a rebuilt one is a cache hit.

The compiler runs through a `CommandRunner` the caller supplies (`job.py`): the judge's runs it in a build jail that
sees the toolchain, torch's headers and the precompiled header, read-only, so `#include "/etc/shadow"` finds
nothing; it compiles on the jail's capped tmpfs and only the module comes back, size-capped. Only the judge writes
the cache, and only what a compiler made of the request's own sources.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from kernelwright.evaluator.build.cache import cache_root, content_key, file_lock, touch
from kernelwright.evaluator.build.errors import BuildError, UnsafeSourceError, trim_compiler_log
from kernelwright.evaluator.build.job import BuildJob, BuildStep, CommandRunner, execute
from kernelwright.evaluator.runner.protocol import BuildRequest
from kernelwright.evaluator.static_checks.native_code import native_code_finding

LITE_HEADER = """\
#pragma once
// Kernelwright's light stand-in for <torch/extension.h>: ATen tensors and torch's pybind11 casters,
// without the C++ frontend (torch::nn, optim, data) that makes the real header slow to parse.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/utils/pybind.h>
namespace torch {
using namespace at;
using Dtype = at::ScalarType;
constexpr auto kUInt8 = at::kByte;
constexpr auto kInt8 = at::kChar;
constexpr auto kInt16 = at::kShort;
constexpr auto kInt32 = at::kInt;
constexpr auto kInt64 = at::kLong;
constexpr auto kFloat16 = at::kHalf;
constexpr auto kFloat32 = at::kFloat;
constexpr auto kFloat64 = at::kDouble;
}  // namespace torch
"""

BASE_FLAGS = ["-O3", "-march=native", "-fopenmp", "-fPIC", "-std=c++20", "-w"]
# Flags the harness owns: a candidate may not turn off optimisation or switch the language level, nor lift the
# error cap that keeps a compile's log short.
_OWNED_PREFIXES = ("-O", "-std=", "-fPIC", "-fopenmp", "-w", "-march=native", "-fmax-errors")
# Errors a compile reports before it stops: a trimmed log shows a few, and a source with a million errors costs the
# build jail a million messages' time.
MAX_ERRORS_FLAG = "-fmax-errors=20"
# Candidate flags may tune code generation but never name a file: `-include F`, `@F`, `-Wp,...`, `-I DIR`,
# `-B DIR` or `-fplugin=` make the compiler read a file and echo it into the compile log (row 15). The build
# jail is what keeps host files out of reach; this rule says why early.
_SAFE_CFLAG = re.compile(r"-(D[A-Za-z_]\w*(=[\w.+-]*)?|U[A-Za-z_]\w*|f(?!plugin)[\w-]+(=[\w.+,-]+)?"
                         r"|m[\w-]+(=[\w.+,-]+)?|W(?![lpa],)[\w-]+(=[\w.+-]+)?|g[0-3]?)")
_SAFE_LDFLAG = re.compile(r"-l[\w.+-]+")
# Code-generation flags that make the compiler write files (dumps, reports, profiles, coverage notes, diagnostics
# files, module maps) or print reports by the megabyte (-ftime-report, -fmem-report, -fopt-info): none makes a kernel
# faster. Builds run on the jail's capped tmpfs, so such files never reach the host; this refuses them early, with a
# reason. (-save-temps, -M* dependency files, -dumpdir and -aux-info are outside _SAFE_CFLAG already.)
_WRITES_FILES = re.compile(r"-f(no-)?(dump|opt-info|stack-usage|callgraph-info|time-report|mem-report|pre-ipa-mem"
                           r"|post-ipa-mem|stats|profile|auto-profile|branch-probabilities|test-coverage|coverage"
                           r"|condition-coverage|diagnostics-format|diagnostics-add-output|save-optimization-record"
                           r"|compare-debug|report-bug|deps|module-mapper|lto-report)")
MAX_SOURCE_BYTES = 2 * 2**20
HOST_TUNED_FLAGS = ("-march=native",)  # what ties a build to the CPU it was compiled on


def measured_flags(extra_cflags: Iterable[str] | None,
                   extra_ldflags: Iterable[str] | None) -> tuple[list[str], list[str]]:
    """The compile and link flags a kernel asking for these is built and timed with (the base flags, then the
    candidate's own that the builder keeps): an export compiles with these, so it ships what was measured."""
    return ([*BASE_FLAGS, *CppBuilder.candidate_flags(extra_cflags)],
            ["-fopenmp", *CppBuilder.candidate_flags([f for f in extra_ldflags or [] if f != "-fopenmp"],
                                                     _SAFE_LDFLAG)])


@dataclass(frozen=True)
class BuiltModule:
    """Where a built module is (the runner imports it from there), or that it was only compile-checked.

    `stamp` is the last-used time (ns) this build gave the module's cache entry (`cache.touch`).
    """

    path: Path
    compiled_only: bool = False
    cache_hit: bool = False
    stamp: int = 0


class CppBuilder:
    """Compiles C++ extensions with a precompiled light header and a content-hash cache."""

    def __init__(self, cache_dir: Path | None = None, compiler: str | None = None) -> None:
        self.compiler = compiler or os.environ.get("CXX") or "g++"
        if shutil.which(self.compiler) is None:
            raise BuildError(f"C++ compiler {self.compiler!r} not found; install g++ or set CXX")
        self.root = (cache_dir or cache_root()) / "cpp" / self.toolchain_key

    @cached_property
    def toolchain(self) -> str:
        """Compiler version, torch version and ABI: anything that changes the binary."""
        import torch

        version = subprocess.run([self.compiler, "--version"], capture_output=True, text=True).stdout
        abi = int(torch._C._GLIBCXX_USE_CXX11_ABI)
        return f"{version.splitlines()[0] if version else self.compiler}|torch {torch.__version__}|abi {abi}"

    @cached_property
    def toolchain_key(self) -> str:
        return content_key(self.toolchain, " ".join(BASE_FLAGS), sys.version)

    @cached_property
    def _torch_paths(self) -> tuple[list[str], list[str]]:
        from torch.utils import cpp_extension

        includes = [*cpp_extension.include_paths(), sysconfig.get_paths()["include"]]
        return includes, cpp_extension.library_paths()

    def _common_flags(self) -> list[str]:
        import torch

        includes, _ = self._torch_paths
        abi = int(torch._C._GLIBCXX_USE_CXX11_ABI)
        return [*BASE_FLAGS, f"-D_GLIBCXX_USE_CXX11_ABI={abi}", *(f"-I{p}" for p in includes)]

    @property
    def pch_dir(self) -> Path:
        return self.root / "pch"

    @property
    def ext_dir(self) -> Path:
        """Where built modules live; runners see it read-only."""
        return self.root / "ext"

    def read_only_dirs(self) -> list[str]:
        """What a build jail sees besides the system and Python: the precompiled light header."""
        return [str(self.pch_dir)]

    def ensure_pch(self) -> float:
        """Build the precompiled light header once per toolchain (our own header: trusted); returns the seconds."""
        header = self.pch_dir / "torch" / "extension.h"
        gch = header.with_name("extension.h.gch")
        if gch.exists():
            return 0.0
        start = time.perf_counter()
        with file_lock(self.root / "pch.lock"):
            if gch.exists():
                return 0.0
            header.parent.mkdir(parents=True, exist_ok=True)
            header.write_text(LITE_HEADER)
            tmp = gch.with_suffix(f".tmp{os.getpid()}")
            cmd = [self.compiler, *self._common_flags(), "-x", "c++-header", str(header), "-o", str(tmp)]
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=header.parent)
            if proc.returncode != 0:
                raise BuildError("building the precompiled header failed", trim_compiler_log(proc.stderr))
            os.replace(tmp, gch)
        return time.perf_counter() - start

    @staticmethod
    def module_source(name: str, sources: Iterable[str], functions: list[str] | dict[str, str] | None) -> str:
        parts = ["#include <torch/extension.h>", *sources]
        if functions:
            docs = functions if isinstance(functions, dict) else {f: f for f in functions}
            defs = "\n".join(f'  m.def("{fn}", &{fn}, "{doc}");' for fn, doc in docs.items())
            parts.append(f"PYBIND11_MODULE({name}, m) {{\n{defs}\n}}")
        return "\n".join(parts) + "\n"

    @staticmethod
    def candidate_flags(flags: Iterable[str] | None, safe: re.Pattern[str] = _SAFE_CFLAG) -> list[str]:
        kept = [f for f in (flags or []) if not f.startswith(_OWNED_PREFIXES)]
        for flag in kept:
            if _WRITES_FILES.match(flag):
                raise UnsafeSourceError(f"compiler flag {flag!r} is not allowed: it makes the compiler write dump, "
                                        "report or profile files or print reports (-fdump-*, -fopt-info, "
                                        "-fstack-usage, -fcallgraph-info, -ftime-report, -fprofile-*, ...); "
                                        "kernels may pass code-generation options")
            if not safe.fullmatch(flag):
                raise UnsafeSourceError(f"compiler flag {flag!r} is not allowed: kernels may pass -D/-U macros, -f/-m "
                                        "code-generation options, -W warnings and -l libraries, nothing that names a "
                                        "file")
        return kept

    @staticmethod
    def check_request(request: BuildRequest) -> None:
        """What every build refuses before it compiles: include paths and oversized sources."""
        if request.extra_include_paths:
            raise UnsafeSourceError("extra_include_paths is not allowed: kernels include only torch and system "
                                    "headers")
        if sum(len(s) for s in (*request.cpp_sources, *request.cuda_sources)) > MAX_SOURCE_BYTES:
            raise UnsafeSourceError(f"the kernel sources are over {MAX_SOURCE_BYTES // 2**20} MiB")

    def build(self, request: BuildRequest, run: CommandRunner) -> BuiltModule:
        """Screen `request`, then compile it with `run` (or find it in the cache)."""
        self.check_request(request)
        if request.cuda_sources or request.with_cuda:
            raise BuildError("cuda_sources need the `cuda` platform; this is the `cpu` platform")
        cflags = self.candidate_flags(request.extra_cflags)
        ldflags = self.candidate_flags([f for f in request.extra_ldflags if f != "-fopenmp"], _SAFE_LDFLAG)
        funcs = request.functions
        key = content_key(self.toolchain_key, request.name, *request.cpp_sources, repr(funcs), *cflags, *ldflags)
        mod_name = f"{''.join(c if c.isalnum() else '_' for c in request.name)}_{key}"
        source = self.module_source(mod_name, request.cpp_sources, funcs)
        # The static check read string literals; a source assembled at run time (`"sys" + "tem("`), or code
        # smuggled in through `functions` docstrings, is only visible here, in what will really be compiled.
        finding = native_code_finding(source)
        if finding is not None:
            raise UnsafeSourceError(finding.message)
        so_path = self.ext_dir / mod_name / f"{mod_name}.so"
        lock = self.root / "locks" / f"{mod_name}.lock"
        # Shared for a hit, exclusive for a build: the cache's eviction takes it exclusively, and so never removes
        # a module between this check and the stamp that marks it in use.
        with file_lock(lock, shared=True):
            if so_path.exists():
                return BuiltModule(so_path, cache_hit=True, stamp=touch(so_path.parent))
        with file_lock(lock):
            if not so_path.exists():
                self.ensure_pch()
                self._compile(mod_name, source, cflags, ldflags, so_path, run)
            return BuiltModule(so_path, stamp=touch(so_path.parent))

    def compile_steps(self, mod_name: str, cflags: list[str], ldflags: list[str]) -> list[BuildStep]:
        """Compile `kernel.cpp` and link `kernel.so`, in the build's working folder."""
        _, libdirs = self._torch_paths
        # The shadow header's folder comes first so `#include <torch/extension.h>` finds it and its PCH.
        compile_cmd = [
            self.compiler, f"-I{self.pch_dir}", *self._common_flags(), *cflags, MAX_ERRORS_FLAG,
            f"-DTORCH_EXTENSION_NAME={mod_name}", "-DTORCH_API_INCLUDE_EXTENSION_H", "-c", "kernel.cpp",
            "-o", "kernel.o",
        ]
        linker = ["-fuse-ld=gold"] if shutil.which("ld.gold") else []
        link_cmd = [
            self.compiler, "-shared", "kernel.o", "-o", "kernel.so", "-fopenmp", *linker,
            *(f"-L{d}" for d in libdirs), *(f"-Wl,-rpath,{d}" for d in libdirs),
            "-lc10", "-ltorch", "-ltorch_cpu", "-ltorch_python", *ldflags,
        ]
        return [BuildStep("compiling the C++ kernel", compile_cmd), BuildStep("linking the C++ kernel", link_cmd)]

    def _compile(self, mod_name: str, source: str, cflags: list[str], ldflags: list[str], so_path: Path,
                 run: CommandRunner) -> None:
        job = BuildJob(files={"kernel.cpp": source}, steps=self.compile_steps(mod_name, cflags, ldflags),
                       output="kernel.so")
        execute(job, run, so_path)
