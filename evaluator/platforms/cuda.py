"""The `cuda` platform: CUDA C++ kernels built with `load_inline(cuda_sources=...)`.

On a GPU: built by the judge (in a build jail) for the device's exact architecture, checked and timed on the device.
Without one: compiled with nvcc where it is installed, and reported `build_ok_unverified`, never correct.
"""

from __future__ import annotations

import ast
from functools import cached_property

import torch

from kernelwright.evaluator.build.cuda import DEFAULT_ARCH, CudaBuilder, find_nvcc, parse_arch
from kernelwright.evaluator.platforms.gpu import GpuPlatform
from kernelwright.evaluator.result import Verification
from kernelwright.tasks.env import cuda_arch

_KERNEL_BUILDERS = {"load_inline", "load"}


def _builder_calls(tree: ast.Module) -> list[ast.Call]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in _KERNEL_BUILDERS:
                found.append(node)
    return found


class CudaPlatform(GpuPlatform):
    name = "cuda"
    kernel_language = "CUDA C++ via torch.utils.cpp_extension.load_inline(cuda_sources=...)"
    prompt_language = "CUDA C++"
    no_hardware_note = ("no GPU here: cuda kernels are only compiled (build_ok_unverified), never run, checked or "
                        "timed; each trajectory stops after its first compiled kernel. Run on a machine with an NVIDIA "
                        "GPU, or use --platform cpu")
    builds_with_load_inline = True

    def fallback_verification(self) -> Verification:
        return Verification.compile_only

    def unavailable(self) -> str | None:
        if find_nvcc() is not None:
            return None
        if self.native:
            return "nvcc not found: install the CUDA toolkit (or set CUDA_HOME) to build cuda candidates"
        return ("no GPU and no nvcc on this machine: a cuda candidate can be neither run nor compile-checked "
                "here (install the CUDA toolkit for compile checks, or evaluate on a GPU machine)")

    def capability(self) -> tuple[int, int]:
        """The device's compute capability; without a device, $KERNELWRIGHT_CUDA_ARCH or the H100's (9.0)."""
        if self.native:
            major, minor = torch.cuda.get_device_capability()
            return int(major), int(minor)
        return parse_arch(cuda_arch(DEFAULT_ARCH))

    @cached_property
    def builder(self) -> CudaBuilder:
        return CudaBuilder(self.capability(), run=self.native)

    def kernel_builder(self) -> CudaBuilder:
        return self.builder

    def has_kernel(self, tree: ast.Module, strings: list[str]) -> bool:
        """A `load_inline`/`load` call that passes `cuda_sources`, or builds a source with a `__global__` kernel."""
        calls = _builder_calls(tree)
        passes_cuda = any(kw.arg == "cuda_sources" for call in calls for kw in call.keywords)
        return bool(calls) and (passes_cuda or any("__global__" in text for text in strings))


__all__ = ["CudaPlatform"]
