"""Process limits for the sandboxed child, applied between fork and exec.

rlimits cap memory, CPU time, file size and core dumps. Process count: a pids cgroup when we can make
one (root ignores RLIMIT_NPROC), else RLIMIT_NPROC. Network: a fresh network namespace with no
interfaces but loopback-down, when the kernel lets us make one.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource
import signal
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
PR_SET_PDEATHSIG = 1
_CGROUP_ROOTS = [Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup")]


@dataclass
class Limits:
    memory_mb: int
    cpu_seconds: int
    max_processes: int
    max_file_mb: int
    # RLIMIT_AS; off for GPU children, whose CUDA driver reserves huge unused address ranges.
    address_space: bool = True


@dataclass
class PidsCgroup:
    """A pids cgroup holding the child and everything it forks, so all of it can be counted and killed."""

    path: Path | None = None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, max_processes: int) -> PidsCgroup:
        for root in _CGROUP_ROOTS:
            if not (root / "cgroup.procs").exists():
                continue
            if root.name != "pids" and "pids" not in (root / "cgroup.controllers").read_text(errors="ignore"):
                continue
            path = root / f"kernelwright-{uuid.uuid4().hex[:12]}"
            try:
                path.mkdir()
                (path / "pids.max").write_text(str(max_processes))
            except OSError:
                try:
                    path.rmdir()
                except OSError:
                    pass
                continue
            return cls(path)
        return cls(None, ["no writable pids cgroup: process count limited by RLIMIT_NPROC"])

    def pids(self) -> list[int]:
        if self.path is None:
            return []
        try:
            return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def kill_all(self) -> None:
        """SIGKILL every process in the group, repeatedly, until it is empty, then remove it."""
        if self.path is None:
            return
        for _ in range(50):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        try:
            self.path.rmdir()
        except OSError:
            pass


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def preexec(limits: Limits, cgroup: PidsCgroup, isolate_network: bool) -> Callable[[], None]:
    """The function `subprocess.Popen(preexec_fn=...)` runs in the child before exec."""
    cgroup_procs = str(cgroup.path / "cgroup.procs") if cgroup.path else None
    libc = _libc()  # resolved here: find_library may run a subprocess, which must not happen after fork

    def apply() -> None:
        # Die with the evaluator: a killed Ray actor (Ctrl-C, actor restart) must not orphan its candidate.
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if cgroup_procs:
            with open(cgroup_procs, "w") as handle:
                handle.write(str(os.getpid()))
        if isolate_network and libc.unshare(CLONE_NEWNET) != 0:
            # Unprivileged users may still get a network namespace inside a user namespace.
            libc.unshare(CLONE_NEWUSER | CLONE_NEWNET)
        if limits.address_space:
            mem = limits.memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
        size = limits.max_file_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if os.geteuid() != 0 and not cgroup_procs:
            running = len(os.listdir("/proc")) if os.path.isdir("/proc") else 0
            cap = limits.max_processes + running
            resource.setrlimit(resource.RLIMIT_NPROC, (cap, cap))

    return apply
