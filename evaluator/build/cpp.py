"""A fast, cached replacement for `torch.utils.cpp_extension.load_inline` (C++ on the CPU).

Plain `load_inline` spends ~30 s per kernel on this kind of machine, almost all of it parsing
`<torch/extension.h>` (the whole C++ frontend). Candidates only need tensors and pybind11, so we
shadow that header with a light one (ATen + torch's pybind casters), precompile it once per toolchain,
and key every build by a hash of its sources, flags and toolchain: a cold kernel builds in seconds
and a rebuilt one is a cache hit.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

from evaluator.build.cache import cache_root, content_key, file_lock
from evaluator.build.errors import BuildError, UnsafeSourceError, trim_compiler_log
from evaluator.static_checks import native_code_finding

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
# Flags the harness owns: a candidate may not turn off optimisation or switch the language level.
_OWNED_PREFIXES = ("-O", "-std=", "-fPIC", "-fopenmp", "-w", "-march=native")
# Candidate flags may tune code generation but never name a file: `-include F`, `@F`, `-Wp,...`, `-I DIR`,
# `-B DIR` or `-fplugin=` make the compiler read any file the user can (an API key in /proc/PID/environ,
# say) and echo it into the compile log that goes back to the agent (REWARD_HACKS.md row 15).
_SAFE_CFLAG = re.compile(r"-(D[A-Za-z_]\w*(=[\w.+-]*)?|U[A-Za-z_]\w*|f(?!plugin)[\w-]+(=[\w.+,-]+)?"
                         r"|m[\w-]+(=[\w.+,-]+)?|W(?![lpa],)[\w-]+(=[\w.+-]+)?|g[0-3]?)")
_SAFE_LDFLAG = re.compile(r"-l[\w.+-]+")


@dataclass
class BuildStats:
    """What the builder did in this process, for the result and the benchmark."""

    compiled: int = 0
    cache_hits: int = 0
    seconds: float = 0.0
    calls: dict[str, int] = field(default_factory=dict)


class KernelModule:
    """A built extension whose functions count their calls.

    The evaluator uses the counts to tell a candidate that really runs its kernel from one that builds
    a kernel for show and computes with PyTorch (REWARD_HACKS.md row 1).
    """

    def __init__(self, module: ModuleType, stats: BuildStats) -> None:
        self._module = module
        self._stats = stats

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._module, name)
        if not callable(target):
            return target
        stats = self._stats

        def counted(*args: Any, **kwargs: Any) -> Any:
            stats.calls[name] = stats.calls.get(name, 0) + 1
            return target(*args, **kwargs)

        counted.__name__ = name
        return counted


class CppBuilder:
    """Compiles and loads C++ extensions with a precompiled light header and a content-hash cache."""

    def __init__(self, cache_dir: Path | None = None, compiler: str | None = None) -> None:
        self.compiler = compiler or os.environ.get("CXX") or "g++"
        if shutil.which(self.compiler) is None:
            raise BuildError(f"C++ compiler {self.compiler!r} not found; install g++ or set CXX")
        self.root = (cache_dir or cache_root()) / "cpp" / self.toolchain_key
        self.stats = BuildStats()

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

    def ensure_pch(self) -> float:
        """Build the precompiled light header once per toolchain; returns the seconds spent."""
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
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                raise BuildError("building the precompiled header failed", trim_compiler_log(proc.stderr))
            os.replace(tmp, gch)
        return time.perf_counter() - start

    @staticmethod
    def _module_source(name: str, sources: Iterable[str], functions: list[str] | dict[str, str] | None) -> str:
        parts = ["#include <torch/extension.h>", *sources]
        if functions:
            docs = functions if isinstance(functions, dict) else {f: f for f in functions}
            defs = "\n".join(f'  m.def("{fn}", &{fn}, "{doc}");' for fn, doc in docs.items())
            parts.append(f"PYBIND11_MODULE({name}, m) {{\n{defs}\n}}")
        return "\n".join(parts) + "\n"

    @staticmethod
    def _candidate_flags(flags: Iterable[str] | None, safe: re.Pattern[str] = _SAFE_CFLAG) -> list[str]:
        kept = [f for f in (flags or []) if not f.startswith(_OWNED_PREFIXES)]
        for flag in kept:
            if not safe.fullmatch(flag):
                raise UnsafeSourceError(f"compiler flag {flag!r} is not allowed: kernels may pass -D/-U macros, -f/-m "
                                 "code-generation options, -W warnings and -l libraries, nothing that names a file")
        return kept

    def load_inline(
        self,
        name: str,
        cpp_sources: str | list[str],
        cuda_sources: str | list[str] | None = None,
        functions: str | list[str] | dict[str, str] | None = None,
        extra_cflags: list[str] | None = None,
        extra_cuda_cflags: list[str] | None = None,
        extra_ldflags: list[str] | None = None,
        extra_include_paths: list[str] | None = None,
        build_directory: str | None = None,
        verbose: bool = False,
        with_cuda: bool | None = None,
        **_ignored: Any,
    ) -> KernelModule:
        """Same signature as `torch.utils.cpp_extension.load_inline`; returns a call-counting module."""
        del extra_cuda_cflags, build_directory  # the harness owns where builds go
        if cuda_sources or with_cuda:
            raise BuildError("cuda_sources need the `cuda` platform; this is the `cpu` platform")
        sources = [cpp_sources] if isinstance(cpp_sources, str) else list(cpp_sources)
        funcs = [functions] if isinstance(functions, str) else functions
        cflags = self._candidate_flags(extra_cflags)
        ldflags = self._candidate_flags([f for f in (extra_ldflags or []) if f != "-fopenmp"], _SAFE_LDFLAG)
        if extra_include_paths:
            raise UnsafeSourceError("extra_include_paths is not allowed: kernels include only torch and system headers")
        includes: list[str] = []
        key = content_key(self.toolchain_key, name, *sources, repr(funcs), *cflags, *ldflags, *includes)
        mod_name = f"{''.join(c if c.isalnum() else '_' for c in name)}_{key}"
        # The static check reads string literals; a source assembled at run time (`"sys" + "tem("`), or code
        # smuggled in through `functions` docstrings, is only visible here, in what will really be compiled.
        finding = native_code_finding(self._module_source(mod_name, sources, funcs))
        if finding is not None:
            raise UnsafeSourceError(finding.message)
        out_dir = self.root / "ext" / mod_name
        so_path = out_dir / f"{mod_name}.so"
        start = time.perf_counter()
        if so_path.exists():
            self.stats.cache_hits += 1
        else:
            with file_lock(self.root / "locks" / f"{mod_name}.lock"):
                if not so_path.exists():
                    self.ensure_pch()
                    self._compile(mod_name, sources, funcs, cflags, ldflags, includes, out_dir, so_path, verbose)
                    self.stats.compiled += 1
        module = self._import(mod_name, so_path)
        self.stats.seconds += time.perf_counter() - start
        return KernelModule(module, self.stats)

    def _compile(
        self,
        mod_name: str,
        sources: list[str],
        funcs: list[str] | dict[str, str] | None,
        cflags: list[str],
        ldflags: list[str],
        includes: list[str],
        out_dir: Path,
        so_path: Path,
        verbose: bool,
    ) -> None:
        _, libdirs = self._torch_paths
        with tempfile.TemporaryDirectory(prefix="kw_build_") as tmp:
            src = Path(tmp) / f"{mod_name}.cpp"
            obj = Path(tmp) / f"{mod_name}.o"
            tmp_so = Path(tmp) / so_path.name
            src.write_text(self._module_source(mod_name, sources, funcs))
            # The shadow header's folder comes first so `#include <torch/extension.h>` finds it and its PCH.
            compile_cmd = [
                self.compiler, f"-I{self.pch_dir}", *self._common_flags(), *includes, *cflags,
                f"-DTORCH_EXTENSION_NAME={mod_name}", "-DTORCH_API_INCLUDE_EXTENSION_H",
                "-c", str(src), "-o", str(obj),
            ]
            linker = ["-fuse-ld=gold"] if shutil.which("ld.gold") else []
            link_cmd = [
                self.compiler, "-shared", str(obj), "-o", str(tmp_so), "-fopenmp", *linker,
                *(f"-L{d}" for d in libdirs), *(f"-Wl,-rpath,{d}" for d in libdirs),
                "-lc10", "-ltorch", "-ltorch_cpu", "-ltorch_python", *ldflags,
            ]
            for cmd in (compile_cmd, link_cmd):
                if verbose:
                    print(" ".join(cmd), file=sys.stderr)
                proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
                if proc.returncode != 0:
                    log = trim_compiler_log(proc.stderr.replace(str(src), "kernel.cpp"))
                    stage = "compiling" if cmd is compile_cmd else "linking"
                    raise BuildError(f"{stage} the C++ kernel failed", log)
            out_dir.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_so, so_path)

    @staticmethod
    def _import(mod_name: str, so_path: Path) -> ModuleType:
        if mod_name in sys.modules:
            return sys.modules[mod_name]
        loader = importlib.machinery.ExtensionFileLoader(mod_name, str(so_path))
        spec = importlib.util.spec_from_file_location(mod_name, so_path, loader=loader)
        if spec is None:
            raise BuildError(f"cannot load the built extension {so_path.name}")
        try:
            module = importlib.util.module_from_spec(spec)
            loader.exec_module(module)
        except ImportError as exc:
            raise BuildError(f"the built extension failed to load: {exc}") from exc
        sys.modules[mod_name] = module
        return module


def patched_load_inline(builder: CppBuilder) -> Callable[..., KernelModule]:
    """A drop-in for `torch.utils.cpp_extension.load_inline` bound to `builder`."""

    def load_inline(*args: Any, **kwargs: Any) -> KernelModule:
        return builder.load_inline(*args, **kwargs)

    return load_inline
