"""The candidate runner's tripwires: run-time checks that turn a cheat into an early, explained rejection.

They run inside the runner, next to the candidate's native code, so a kernel that wants to can blind every one
of them; each says in docs/security.md what that gains it (nothing the judge believes) and what bounds it. What
they are for is the honest-looking cheat an LLM writes: a forward that computes with PyTorch (row 1), a kernel
built for show (row 1), a thread left running (row 2), patched torch or harness functions (rows 6, 11, 12),
processes started around the audit hook (row 15).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import torch

from kernelwright.evaluator.dispatch_guard import DispatchRecorder
from kernelwright.evaluator.integrity import TorchIntegrity
from kernelwright.evaluator.platforms.base import Platform
from kernelwright.evaluator.result import Reason, Status
from kernelwright.evaluator.runner.failures import RunnerFailure, code_frame, is_oom
from kernelwright.evaluator.runner.guard import SandboxGuard
from kernelwright.tasks.inputs import outputs_as_list

# Row 11: the clock and thread controls as they were before any candidate code loaded.
_PERF_COUNTER = time.perf_counter
_SET_THREADS = torch.set_num_threads
GET_THREADS = torch.get_num_threads


def child_processes() -> list[int]:
    """Pids of this process's children (from every thread), via /proc; empty where it can't be read."""
    pids: list[int] = []
    try:
        for tid in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{tid}/children") as handle:
                pids += [int(p) for p in handle.read().split()]
    except OSError:
        return pids
    return pids


def native_threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def check_output(value: object, device: torch.device, where: str) -> None:
    """Row 3: exactly a torch.Tensor, on the platform's device, with real storage."""
    if type(value) is not torch.Tensor:
        raise RunnerFailure(Status.rejected, Reason.output_type,
                            f"{where}: expected exactly torch.Tensor, got {type(value).__name__}")
    if value.device.type != device.type:
        raise RunnerFailure(Status.incorrect, Reason.output_device, f"{where}: output on {value.device}, expected "
                            f"{device}")
    if value.is_meta or (value.numel() > 0 and value.untyped_storage().data_ptr() == 0):
        raise RunnerFailure(Status.rejected, Reason.output_storage, f"{where}: output has no real storage")


def poison(like: list[torch.Tensor]) -> None:
    """Rows 5 and 13: fill, then free, blocks the size of the outputs, so memory a kernel forgets to write holds NaN
    (or -1) rather than a previous answer."""
    blocks = [torch.full_like(t, float("nan")) if t.is_floating_point() else torch.full_like(t, -1) for t in like]
    del blocks


class Tripwires:
    """Everything the candidate runner checks around the candidate's calls."""

    def __init__(self, platform: Platform, guard: SandboxGuard, threads: int, allow_torch: bool,
                 kernel_calls: Callable[[], int]) -> None:
        self.platform, self.guard, self.threads = platform, guard, threads
        self.allow_torch = allow_torch
        self.kernel_calls = kernel_calls
        self.integrity: TorchIntegrity | None = None
        self.threads_after_warm: int | None = None

    def snapshot(self, reference: Callable[[], object], harness: list[ModuleType | type]) -> None:
        """Record the torch and harness state the reference depends on, before any candidate code runs."""
        self.integrity = TorchIntegrity(reference, harness)

    def check(self) -> None:
        """Rows 6, 11, 12 and 15: the harness and torch are as they were, no processes or violations."""
        if time.perf_counter is not _PERF_COUNTER or torch.set_num_threads is not _SET_THREADS:
            raise RunnerFailure(Status.rejected, Reason.timer_patch, "the candidate replaced the harness's timer or "
                                "thread controls")
        if GET_THREADS() != self.threads:
            raise RunnerFailure(Status.rejected, Reason.timer_patch, f"the candidate changed the thread count from "
                                f"{self.threads} to {GET_THREADS()}")
        timer_problem = self.platform.timer_problems()
        if timer_problem:
            raise RunnerFailure(Status.rejected, Reason.timer_patch, timer_problem)
        if self.guard.violations:
            raise RunnerFailure(Status.rejected, Reason.sandbox_violation, "sandbox: " + self.guard.violations[0])
        spawned = child_processes()
        if spawned:
            raise RunnerFailure(Status.rejected, Reason.sandbox_violation, f"sandbox: the candidate started "
                                f"{len(spawned)} process(es) (pid {spawned[0]})")
        tampered = self.integrity.problems() if self.integrity is not None else []
        if tampered:
            raise RunnerFailure(Status.rejected, Reason.harness_tamper, "the candidate changed torch or harness state "
                                "that the reference depends on: " + "; ".join(tampered[:3]))

    def call(self, model: torch.nn.Module, args: list[Any], where: str) -> list[Any]:
        """One checked call: the dispatch recorder on the kernel track, kernel calls counted, state checked after."""
        recorder = None if self.allow_torch else DispatchRecorder()
        calls_before = self.kernel_calls()
        py_threads = threading.active_count()
        try:
            if recorder is not None:
                with recorder:
                    out = model(*args)
            else:
                out = model(*args)
            self.platform.synchronize()
        except RunnerFailure:
            raise
        except PermissionError as exc:
            if self.guard.violations:
                raise RunnerFailure(Status.rejected, Reason.sandbox_violation, str(exc)) from exc
            raise RunnerFailure(Status.runtime_error, Reason.runtime_exception, f"{where}: {code_frame(exc)}") from exc
        except Exception as exc:  # noqa: BLE001 - whatever the candidate raises is its verdict
            from kernelwright.evaluator.build.errors import UnsafeSourceError  # a kernel built lazily, inside forward

            if isinstance(exc, UnsafeSourceError):
                raise RunnerFailure(Status.rejected, Reason.unsafe_native_code, str(exc)) from exc
            reason = Reason.out_of_memory if is_oom(exc) else Reason.runtime_exception
            raise RunnerFailure(Status.runtime_error, reason, f"{where}: {code_frame(exc)}") from exc
        self.check()
        if threading.active_count() > py_threads:
            raise RunnerFailure(Status.rejected, Reason.background_thread,
                                f"{where}: the forward left a thread running")
        if recorder is not None:
            if recorder.compute_ops:
                ops = ", ".join(recorder.compute_ops[:6])
                raise RunnerFailure(Status.rejected, Reason.torch_compute,
                                    f"{where}: PyTorch computed part of the result ({ops}); the kernel must do the "
                                    "work (use --allow-torch for the PyTorch track)")
            if self.kernel_calls() == calls_before:
                raise RunnerFailure(Status.rejected, Reason.kernel_not_called,
                                    f"{where}: the forward never called the built kernel")
        outputs = outputs_as_list(out)
        for i, value in enumerate(outputs):
            label = f"{where}, output {i}" if len(outputs) > 1 else where
            self.check_output(value, label)
        return outputs

    def check_output(self, value: object, where: str) -> None:
        check_output(value, self.platform.device, where)

    def note_warm(self) -> None:
        """After the first checked call: threads from here on that outlive a call are the candidate's (row 2)."""
        if self.threads_after_warm is None:
            self.threads_after_warm = native_threads()

    def final(self) -> None:
        """After everything: state intact and no native thread left behind."""
        self.check()
        if self.threads_after_warm is not None and native_threads() > self.threads_after_warm:
            raise RunnerFailure(Status.rejected, Reason.background_thread, "the candidate started native threads "
                                "that are still running after its forward returned")
