"""Resource limits of one jail: a memory + pids cgroup where this machine lets us make one, rlimits always.

cgroups are the hard limit: a jail's memory (its own pages, the tmpfs it writes, shared-memory pages it touches)
and its process count, counted over every process in it however they were started, and killable as one. Where no
cgroup can be made (an unprivileged user on most machines), rlimits stand in: RLIMIT_AS for memory, RLIMIT_NPROC
for processes. rlimits apply in any case, so a runaway allocation fails with a readable error before the cgroup's
OOM killer has to step in.
"""

from __future__ import annotations

import os
import resource
import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

_CGROUP_FS = Path("/sys/fs/cgroup")
_PREFIX = "kernelwright-"
_swept = False


def _sweep_once() -> None:
    """Remove the empty cgroups a killed judge left behind (their names carry its pid), once per process."""
    global _swept
    if _swept:
        return
    _swept = True
    for folder in _CGROUP_FS.glob(f"**/{_PREFIX}*-*"):
        owner = folder.name.removeprefix(_PREFIX).split("-")[0]
        if not owner.isdigit() or Path(f"/proc/{owner}").exists():
            continue
        try:
            folder.rmdir()
        except OSError:
            pass
PR_SET_PDEATHSIG = 1
NPROC_HEADROOM = 4  # jails' worth of tasks RLIMIT_NPROC leaves room for (see `preexec`)


@dataclass(frozen=True)
class Limits:
    """What one jail may use."""

    memory_mb: int
    cpu_seconds: int
    max_processes: int
    max_file_mb: int
    # RLIMIT_AS: off for GPU runners, whose CUDA driver reserves huge unused address ranges.
    address_space: bool = True
    # The cores the jail may run on (None: any). Both sides of a timing comparison get the same ones, so a slow
    # core can't sit on one side only; the seccomp filter keeps the jail from moving itself elsewhere.
    cpus: tuple[int, ...] | None = None


def _own_cgroup(controller: str) -> str:
    """This process's cgroup path for `controller` (v1), or its unified path (v2, controller "")."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return "/"
    for line in lines:
        _, names, path = line.split(":", 2)
        if (controller and controller in names.split(",")) or (not controller and names == ""):
            return path
    return "/"


@dataclass
class Cgroup:
    """Memory and pids cgroups holding one jail: limits set, usage and OOM kills readable, all of it killable."""

    paths: list[Path] = field(default_factory=list)
    memory: Path | None = None
    cpu: Path | None = None  # where the group's CPU time can be read (v1 cpuacct, or the v2 group)
    freezer: Path | None = None  # where the group can be frozen whole (v1 freezer, or the v2 group)
    notes: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, limits: Limits) -> Cgroup:
        """Make the cgroups (v2 unified with its controllers, else v1 memory and pids); notes say what's missing."""
        _sweep_once()
        group = cls()
        name = f"{_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:12]}"
        unified = _CGROUP_FS / "cgroup.controllers"
        if unified.exists():
            settings = {"memory.max": str(limits.memory_mb * 2**20), "pids.max": str(limits.max_processes)} \
                if {"memory", "pids"} <= set(unified.read_text().split()) else {}
            # Beside our own cgroup first; where its controllers are not delegated to children (a cgroup holding
            # processes cannot enable them: a VM's or container's process group), at the root, where root can.
            own = _CGROUP_FS / _own_cgroup("").lstrip("/")
            path = group._make(own / name, settings)
            if path is None and own != _CGROUP_FS:
                path = group._make(_CGROUP_FS / name, settings)
            if path is not None:
                group.memory = group.cpu = path
                if (path / "cgroup.freeze").exists():
                    group.freezer = path
        else:
            for controller, settings in (("memory", {"memory.limit_in_bytes": str(limits.memory_mb * 2**20)}),
                                         ("pids", {"pids.max": str(limits.max_processes)}),
                                         ("cpuacct", {"notify_on_release": "0"}),
                                         ("freezer", {"freezer.state": "THAWED"})):
                root = _CGROUP_FS / controller
                if not (root / "cgroup.procs").exists():
                    continue
                made = group._make(root / _own_cgroup(controller).lstrip("/") / name, settings)
                if made is None:
                    made = group._make(root / name, settings)
                if made is not None and controller == "memory":
                    group.memory = made
                if made is not None and controller == "cpuacct":
                    group.cpu = made
                if made is not None and controller == "freezer":
                    group.freezer = made
        if group.memory is None:
            group.notes.append("no writable memory cgroup: memory limited by RLIMIT_AS only")
        if not any(p for p in group.paths if (p / "pids.max").exists()):
            group.notes.append("no writable pids cgroup: process count limited by RLIMIT_NPROC")
        return group

    def _make(self, path: Path, settings: dict[str, str]) -> Path | None:
        if not settings:
            return None
        try:
            path.mkdir()
        except OSError:
            return None
        try:
            for key, value in settings.items():
                (path / key).write_text(value)
        except OSError:
            try:
                path.rmdir()
            except OSError:
                pass
            return None
        self.paths.append(path)
        return path

    def procs_files(self) -> list[str]:
        return [str(p / "cgroup.procs") for p in self.paths]

    def pids(self) -> list[int]:
        found: set[int] = set()
        for path in self.paths:
            try:
                found.update(int(p) for p in (path / "cgroup.procs").read_text().split())
            except OSError:
                continue
        return sorted(found)

    def cpu_seconds(self) -> float | None:
        """CPU time used so far by every process in the group (the kernel's count), or None where unknown."""
        if self.cpu is None:
            return None
        try:
            if (self.cpu / "cpuacct.usage").exists():
                return int((self.cpu / "cpuacct.usage").read_text()) / 1e9
            for line in (self.cpu / "cpu.stat").read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "usage_usec":
                    return int(value) / 1e6
        except (OSError, ValueError):
            return None
        return None

    def freeze(self, deadline: float) -> bool:
        """Stop every process in the group where it stands (none can run, or notice, until `thaw`); True once all
        are frozen, False where this group cannot be frozen or did not freeze by `deadline` (time.monotonic())."""
        if self.freezer is None:
            return False
        v2 = self.freezer / "cgroup.freeze"
        try:
            if v2.exists():
                v2.write_text("1")
                events, done = self.freezer / "cgroup.events", "frozen 1"
            else:
                (self.freezer / "freezer.state").write_text("FROZEN")
                events, done = self.freezer / "freezer.state", "FROZEN"
            while True:
                text = events.read_text()
                if done in text.splitlines() or text.strip() == done:
                    return True
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.0002)
        except OSError:
            return False

    def thaw(self) -> None:
        """Let the group run again (a no-op where it was never frozen)."""
        if self.freezer is None:
            return
        try:
            if (self.freezer / "cgroup.freeze").exists():
                (self.freezer / "cgroup.freeze").write_text("0")
            else:
                (self.freezer / "freezer.state").write_text("THAWED")
        except OSError:
            pass

    def oom_killed(self) -> bool:
        """Whether the kernel's OOM killer (or the v1 limit) struck inside this cgroup: evidence no runner can forge."""
        if self.memory is None:
            return False
        for name in ("memory.events", "memory.oom_control"):
            try:
                text = (self.memory / name).read_text()
            except OSError:
                continue
            for line in text.splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":  # the kernel's own count: where it exists, nothing else is evidence
                    return value.strip() not in ("", "0")
        # Kernels before 4.13 count no OOM kills: hitting the limit (failcnt) with usage at it is the best sign.
        try:
            return int((self.memory / "memory.failcnt").read_text()) > 0 and self._usage_near_limit()
        except (OSError, ValueError):
            return False

    def _usage_near_limit(self) -> bool:
        assert self.memory is not None
        try:
            peak = int((self.memory / "memory.max_usage_in_bytes").read_text())
            limit = int((self.memory / "memory.limit_in_bytes").read_text())
        except (OSError, ValueError):
            return False
        return peak >= 0.95 * limit

    def kill_all(self) -> None:
        """SIGKILL every process in the groups until they are empty, then remove them.

        A killed process leaves its cgroup only once it has died, a moment after the signal; the folder can be
        removed only then, so both are retried for up to two seconds. A frozen (v1) group holds on to its processes
        even through SIGKILL, so it is thawed first.
        """
        self.thaw()
        for _ in range(200):
            pids = self.pids()
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            left = []
            for path in self.paths:
                try:
                    path.rmdir()
                except FileNotFoundError:
                    continue
                except OSError:
                    left.append(path)
            self.paths = left
            if not left:
                return
            time.sleep(0.01)


def tasks_of(uid: int) -> int:
    """How many tasks (threads included: RLIMIT_NPROC counts them) the user `uid` runs now."""
    count = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid == uid:
                count += len(os.listdir(f"/proc/{entry}/task"))
        except OSError:
            continue  # gone meanwhile
    return count


def preexec(limits: Limits, cgroup: Cgroup, libc_prctl: Callable[[int, int], int],
            runs_as: int | None = None) -> Callable[[], None]:
    """What `subprocess.Popen(preexec_fn=...)` runs in the child before exec (of bwrap, or the runner itself).

    `libc_prctl` is resolved by the caller: nothing that may start a subprocess (ctypes.util.find_library) can
    run after fork. `runs_as` is the uid the process ends up with (the jail's, when root drops to it), whose
    tasks RLIMIT_NPROC counts.
    """
    procs_files = cgroup.procs_files()
    has_pids = any(Path(f).parent.joinpath("pids.max").exists() for f in procs_files)
    # RLIMIT_NPROC counts every task of the user, and jails running at once share it: the cap leaves room for the
    # tasks running now and for several jails' worth more (a CUDA runner alone starts dozens of threads). A fork
    # bomb still stops, at a few times the per-jail limit; a pids cgroup is the exact limit.
    nproc = limits.max_processes * NPROC_HEADROOM + tasks_of(os.getuid() if runs_as is None else runs_as)

    def apply() -> None:
        # Die with the judge: a killed evaluator must not orphan its runner.
        libc_prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if limits.cpus:
            os.sched_setaffinity(0, limits.cpus)
        for procs in procs_files:
            with open(procs, "w") as handle:
                handle.write(str(os.getpid()))
        if limits.address_space:
            mem = limits.memory_mb * 2**20
            resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
        size = limits.max_file_mb * 2**20
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if not has_pids:
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))

    return apply
