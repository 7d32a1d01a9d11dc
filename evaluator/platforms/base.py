"""The platform interface: everything the evaluator needs to know about one kind of kernel and device."""

from __future__ import annotations

import ast
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pydantic import BaseModel

from kernelwright.evaluator.result import Verification
from kernelwright.tasks.model import Task
from kernelwright.tasks.sizes import DEFAULT_SIZE

if TYPE_CHECKING:  # torch is imported where a device is needed, not by whoever reads a `Peaks`
    import torch


def dotted_name(node: ast.expr) -> str:
    """The dotted name an expression spells (`pl.pallas_call`, `torch.relu`), or "" where it is not a chain of
    attributes on a name (a call, a subscript)."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


class HardwareInfo(BaseModel):
    """What a measurement ran on; `fingerprint` keys cached peaks and stored baselines."""

    fingerprint: str
    description: str
    details: dict[str, str | int | float] = {}


class Peaks(BaseModel):
    """Measured peak rates of the device, for the faster-than-physics check, with when they were measured and the
    load average per core then (None in peaks cached before either was recorded)."""

    gbps: float
    gflops: float
    measured_at: float | None = None
    load: float | None = None


class KernelBuilder(Protocol):
    """Compiles a runner's build request (judge side): `evaluator.build.cpp.CppBuilder`, `cuda.CudaBuilder`."""

    @property
    def ext_dir(self) -> Path:
        """Where built modules live (read-only: the builders derive it from their cache root)."""

    def build(self, request: Any, run: Any) -> Any:
        """Screen and compile `request` with the command runner `run`; returns a `BuiltModule`."""

    def read_only_dirs(self) -> list[str]:
        """Folders the build jail must see besides the system and Python (precompiled headers, the toolkit)."""


class Platform(ABC):
    """One target (`cpu`, `cuda`, `triton`): how its kernels build, its device and sync, its hardware and peaks.

    A platform object lives on both sides: the judge asks it about the machine (hardware, peaks, the builder), the
    runner about the device (sync, build hooks, launch counts).
    """

    name: str
    kernel_language: str
    """The kernel language in full, for the static check's message ("must build one with ...")."""

    # What the rest of the project asks a platform instead of branching on its name (DESIGN: Platforms).
    prompt_language: ClassVar[str]
    """The kernel language as the prompts name it ("CUDA C++")."""
    needs_gpu: ClassVar[bool] = False
    """Kernels run on a GPU: a cluster with GPUs places one evaluator per GPU, and a machine without one can check
    only what `no_hardware_note` says."""
    no_hardware_note: ClassVar[str | None] = None
    """For a `needs_gpu` platform, what a run on a machine without a GPU cannot verify (said before the first
    turn); None when it verifies everything there."""
    allowed_array_modules: ClassVar[frozenset[str]] = frozenset()
    """Array libraries (`evaluator.static_checks.python_rules.ARRAY_MODULES`) a kernel-track candidate may
    import: the platform's own kernel language (JAX for a Pallas platform); every other one computes outside the
    kernel."""
    exports_native_builds: ClassVar[bool] = True
    """An exported package compiles the kernel's `load_inline` sources ahead of time (False: the kernel ships as
    Python and compiles where it runs, as Triton's JIT does)."""
    # RLIMIT_AS on the runner. The CUDA driver reserves far more address space than it ever uses (unified
    # addressing), so GPU platforms cannot run under an address-space limit.
    limit_address_space: bool = True

    def verification(self) -> Verification:
        """How far this machine can check a candidate for this platform (native unless overridden)."""
        return Verification.native

    def unavailable(self) -> str | None:
        """Why this machine can't check this platform's candidates at all (missing toolchain), or None."""
        return None

    def default_size(self, task: Task) -> str:
        """The problem size (tasks/sizes.py) a task runs at on this platform when the caller names none."""
        return DEFAULT_SIZE

    def runner_env(self) -> dict[str, str]:
        """Environment variables a runner needs for this platform (set before it imports anything)."""
        return {}

    def device_nodes(self) -> list[str]:
        """Device nodes (files or folders under /dev) a jailed runner must see to reach the device; none here."""
        return []

    def device_info(self) -> list[str]:
        """Host folders with the device's read-only facts (bus, driver) a jailed runner must see; none here."""
        return []

    @abstractmethod
    def hardware(self) -> HardwareInfo:
        """The device this platform measures on."""

    @abstractmethod
    def prepare(self) -> None:
        """Judge side, once per machine: warm shared build artifacts (e.g. precompiled headers) and peaks."""

    def refresh_peaks(self) -> Peaks | None:
        """Measure the peaks again (a kernel would be rejected against the cached ones); None where nothing is
        timed."""
        return self.peaks()

    @abstractmethod
    def peaks(self) -> Peaks | None:
        """Measured peak bandwidth and FLOP rate (cached per hardware fingerprint); None where nothing is timed."""

    @abstractmethod
    def has_kernel(self, tree: ast.Module, strings: list[str]) -> bool:
        """Static check: does the candidate source build a kernel for this platform?"""

    # Kernels built with `torch.utils.cpp_extension.load_inline`, which the runner routes to the judge's builder.
    builds_with_load_inline: bool = False

    def kernel_builder(self) -> KernelBuilder | None:
        """Judge side: what compiles this platform's `load_inline` requests (None: kernels build in the runner)."""
        return None

    def install_build_hooks(self, load_inline: Callable[..., Any]) -> None:
        """Runner side, before the candidate loads: route its `load_inline` calls to `load_inline` (the runner's
        request to the judge), and count launches where the platform compiles its own kernels."""
        if self.builds_with_load_inline:
            from torch.utils import cpp_extension

            cpp_extension.load_inline = load_inline

    # Native libraries the platform's own runtime loads with ctypes (a GPU driver): the runner's audit hook lets
    # these through, since the jail's process already has them mapped and the static screen bans `ctypes` in
    # candidate code anyway.
    driver_libraries: tuple[str, ...] = ()

    def warm_device(self) -> None:
        """Runner side, before any untrusted code runs: start the device's runtime (the harness's own work)."""
        return None

    def warm_kernel_runtime(self) -> None:
        """Candidate runner only, before its code runs: start a kernel language's own runtime (the harness's work).

        Kept apart from `warm_device` because the reference and compiled runners never run a kernel: starting a
        runtime there (JAX's) would only cost their start-up time and memory.
        """
        return None

    def guard_builds(self, building: Callable[[], AbstractContextManager[None]]) -> None:
        """Runner side: run compilers that start inside the candidate's calls (lazy JITs) under `building()`.

        `building()` lets the harness's own compiler processes through the runner's audit hook; platforms whose
        kernels the judge builds need nothing here.
        """
        del building

    def kernel_calls(self) -> int:
        """Runner side, for platforms that launch their own kernels: launches so far (see `install_build_hooks`)."""
        return 0

    @property
    def device(self) -> torch.device:
        import torch

        return torch.device("cpu")

    def synchronize(self) -> None:  # noqa: B027 - a no-op default is right for host-only platforms
        """Wait for all queued device work (every stream): a no-op on the CPU."""

    def timer_problems(self) -> str | None:
        """Row 11 beyond the host clock: a device timer or sync the candidate replaced, or None."""
        return None
