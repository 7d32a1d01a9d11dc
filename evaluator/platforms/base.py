"""The platform interface: everything the evaluator needs to know about one kind of kernel and device."""

from __future__ import annotations

import ast
from abc import ABC, abstractmethod
from collections.abc import Callable

import torch
from pydantic import BaseModel


class HardwareInfo(BaseModel):
    """What a measurement ran on; `fingerprint` keys cached peaks and stored baselines."""

    fingerprint: str
    description: str
    details: dict[str, str | int | float] = {}


class Peaks(BaseModel):
    """Measured peak rates of the device, for the faster-than-physics check."""

    gbps: float
    gflops: float


class Platform(ABC):
    """One target (`cpu`, `cuda`, `triton`): build hooks, device, sync, timer, cache flush, peaks."""

    name: str
    kernel_language: str

    @abstractmethod
    def hardware(self) -> HardwareInfo:
        """The device this platform measures on."""

    @abstractmethod
    def prepare(self) -> None:
        """Parent-side, once per machine: warm shared build artifacts (e.g. precompiled headers)."""

    @abstractmethod
    def peaks(self) -> Peaks:
        """Measured peak bandwidth and FLOP rate (cached per hardware fingerprint)."""

    @abstractmethod
    def has_kernel(self, tree: ast.Module, strings: list[str]) -> bool:
        """Static check: does the candidate source build a kernel for this platform?"""

    @abstractmethod
    def install_build_hooks(self) -> None:
        """Child-side: route the candidate's kernel builds through the harness's cached builder."""

    @abstractmethod
    def kernel_calls(self) -> int:
        """How many times the candidate has called into its built kernels so far."""

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

    def timer(self) -> Callable[[], float]:
        """The clock used for timing; captured before candidate code loads."""
        import time

        return time.perf_counter
