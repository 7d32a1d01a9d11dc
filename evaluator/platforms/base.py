"""The platform interface: everything the evaluator needs to know about one kind of kernel and device."""

from __future__ import annotations

import ast
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager

import torch
from pydantic import BaseModel

from evaluator.result import Verification
from tasks.model import Task
from tasks.sizes import DEFAULT_SIZE


class HardwareInfo(BaseModel):
    """What a measurement ran on; `fingerprint` keys cached peaks and stored baselines."""

    fingerprint: str
    description: str
    details: dict[str, str | int | float] = {}


class Peaks(BaseModel):
    """Measured peak rates of the device, for the faster-than-physics check."""

    gbps: float
    gflops: float


class Stopwatch:
    """Times one run on the host clock: start, run, wait for the device, stop.

    `clock` and `sync` are references the harness took before any candidate code loaded (row 11).
    """

    def __init__(self, clock: Callable[[], float], sync: Callable[[], None]) -> None:
        self.clock, self.sync = clock, sync
        self.began = 0.0

    def start(self) -> None:
        """Mark the start of a timed run."""
        self.began = self.clock()

    def stop(self) -> float:
        """Seconds since `start()`, after all queued work (every stream) has finished."""
        self.sync()
        return self.clock() - self.began


class Platform(ABC):
    """One target (`cpu`, `cuda`, `triton`): build hooks, device, sync, timer, cache flush, peaks."""

    name: str
    kernel_language: str
    # RLIMIT_AS on the sandboxed child. The CUDA driver reserves far more address space than it ever uses
    # (unified addressing), so GPU platforms cannot run under an address-space limit.
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

    def child_env(self) -> dict[str, str]:
        """Environment variables the sandboxed child needs for this platform (set before it imports anything)."""
        return {}

    @abstractmethod
    def hardware(self) -> HardwareInfo:
        """The device this platform measures on."""

    @abstractmethod
    def prepare(self) -> None:
        """Parent-side, once per machine: warm shared build artifacts (e.g. precompiled headers)."""

    @abstractmethod
    def peaks(self) -> Peaks | None:
        """Measured peak bandwidth and FLOP rate (cached per hardware fingerprint); None where nothing is timed."""

    @abstractmethod
    def has_kernel(self, tree: ast.Module, strings: list[str]) -> bool:
        """Static check: does the candidate source build a kernel for this platform?"""

    @abstractmethod
    def install_build_hooks(self) -> None:
        """Child-side: route the candidate's kernel builds through the harness's cached builder."""

    def guard_builds(self, building: Callable[[], AbstractContextManager[None]]) -> None:
        """Child-side: run compilers that start inside the candidate's calls (lazy JITs) under `building()`.

        `building()` lets the harness's own compiler processes and cache writes through the sandbox guard;
        `load_inline` is wrapped by the child itself, so platforms without a lazy JIT need nothing here.
        """
        del building

    @abstractmethod
    def kernel_calls(self) -> int:
        """How many times the candidate has called into its built kernels so far."""

    def kernels_built(self) -> int:
        """Kernels built (or found in the build cache) so far in this process; what a compile check shows."""
        return 0

    @abstractmethod
    def build_seconds(self) -> float:
        """Seconds spent building kernels in this process."""

    @property
    def device(self) -> torch.device:
        return torch.device("cpu")

    def synchronize(self) -> None:  # noqa: B027 - a no-op default is right for host-only platforms
        """Wait for all queued device work (every stream): a no-op on the CPU."""

    @abstractmethod
    def flush_cache(self) -> None:
        """Evict the caches so each timed run starts cold."""

    def stopwatch(self, clock: Callable[[], float]) -> Stopwatch:
        """What times one run: the host clock around the run and a device-wide synchronize."""
        return Stopwatch(clock, self.synchronize)

    def timer_problems(self) -> str | None:
        """Row 11 beyond the host clock: a device timer or sync the candidate replaced, or None."""
        return None
