"""The `cpu` platform: C++ (OpenMP) kernels, `load_inline` built by the judge's fast cached builder."""

from __future__ import annotations

import ast
import os
import platform as pyplatform
import time
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

import torch

from kernelwright.evaluator.build.cache import cache_root, content_key
from kernelwright.evaluator.build.cpp import CppBuilder
from kernelwright.evaluator.platforms.base import HardwareInfo, Peaks, Platform
from kernelwright.evaluator.platforms.peaks import PeakCache

_KERNEL_BUILDERS = {"load_inline", "load"}


def cpu_model() -> str:
    """The CPU's model name, from /proc/cpuinfo where it can be read."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return pyplatform.processor() or pyplatform.machine()


def _llc_bytes() -> int:
    """Size of the last-level cache, from sysfs; 32 MiB when unknown."""
    best = 0
    for index in Path("/sys/devices/system/cpu/cpu0/cache").glob("index*"):
        try:
            text = (index / "size").read_text().strip()
        except OSError:
            continue
        scale = {"K": 1024, "M": 1024**2}.get(text[-1], 1)
        best = max(best, int(text.rstrip("KM")) * scale)
    return best or 32 * 1024**2


class CpuPlatform(Platform):
    name = "cpu"
    kernel_language = "C++ (OpenMP) via torch.utils.cpp_extension.load_inline"
    prompt_language = "C++ (OpenMP)"
    builds_with_load_inline = True

    @cached_property
    def builder(self) -> CppBuilder:
        return CppBuilder()

    def kernel_builder(self) -> CppBuilder:
        return self.builder

    def hardware(self) -> HardwareInfo:
        model = cpu_model()
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        threads = torch.get_num_threads()
        desc = f"{model} ({cores} cores, {threads} threads used)"
        details = {"cpu": model, "cores": cores, "threads": threads, "torch": torch.__version__,
                   "llc_bytes": _llc_bytes()}
        return HardwareInfo(fingerprint=content_key(model, str(cores), str(threads)), description=desc,
                            details=details)

    def prepare(self) -> None:
        self.builder.ensure_pch()
        self.peaks()

    def _peak_cache(self) -> PeakCache:
        return PeakCache(cache_root() / "peaks" / f"cpu-{self.hardware().fingerprint}.json", self._measure_peaks)

    def peaks(self) -> Peaks:
        return self._peak_cache().get()

    def refresh_peaks(self) -> Peaks:
        return self._peak_cache().refresh()

    @staticmethod
    def _measure_peaks() -> Peaks:
        # Best of several trials of a large copy (bandwidth) and a large matmul (FLOP rate), with the
        # same thread count the timing uses.
        n = 32 * 1024 * 1024
        src, dst = torch.rand(n), torch.empty(n)
        best_copy = min(_timed(lambda: dst.copy_(src)) for _ in range(5))
        a, b = torch.rand(1024, 1024), torch.rand(1024, 1024)
        best_mm = min(_timed(lambda: torch.mm(a, b)) for _ in range(5))
        return Peaks(gbps=2 * 4 * n / best_copy / 1e9, gflops=2 * 1024**3 / best_mm / 1e9)

    def has_kernel(self, tree: ast.Module, strings: list[str]) -> bool:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in _KERNEL_BUILDERS:
                    return True
        return False


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


__all__ = ["CpuPlatform"]
