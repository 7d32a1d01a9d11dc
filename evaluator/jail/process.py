"""Start and stop jailed processes: the runner, and the compilers of a build.

`spawn` is the one way untrusted work starts: bubblewrap's command line (jail/bwrap.py), the jail's cgroup and
rlimits (jail/limits.py), the seccomp filter passed as an fd. With `jailed=False` (`--unsafe-no-jail`, for a
trusted local user only) the same process starts without the jail: rlimits, cgroup and a scrubbed environment,
and nothing else.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field

from evaluator.jail.bwrap import JailSpec, jail_command, jail_uid, seccomp_fd, writable_by_jail
from evaluator.jail.limits import Cgroup, Limits, preexec


def _prctl() -> ctypes._CFuncPtr:  # type: ignore[name-defined]
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return libc.prctl


@dataclass(frozen=True)
class ExitStatus:
    """How a process ended, as the kernel reported it: killed by `signal`, or exited with `code`."""

    code: int | None = None
    signal: int | None = None

    @property
    def signal_name(self) -> str:
        if self.signal is None:
            return ""
        return signal.Signals(self.signal).name if self.signal in signal.Signals._value2member_map_ else \
            f"signal {self.signal}"


def exit_status(returncode: int, jailed: bool) -> ExitStatus:
    """The runner's own exit status from its Popen return code.

    Unjailed, the Popen is the runner: a negative code is the signal that killed it. Jailed, the Popen is
    bubblewrap, which exits with its child's code, or 128 + N for a child killed by signal N (its `--json-status-fd`
    report carries the same number). That encoding is ambiguous only if the child can exit with 128 or more
    itself, and the jail's seccomp filter forbids exactly that (see `seccomp.policy_bpf`), so above 128 it is a
    signal. A negative code there is bubblewrap itself killed (by the judge: it is the process group leader).
    """
    if returncode < 0:
        return ExitStatus(signal=-returncode)
    if jailed and returncode > 128:
        return ExitStatus(signal=returncode - 128)
    return ExitStatus(code=returncode)


@dataclass
class JailedProcess:
    """A started process and the cgroup that holds it and everything it starts."""

    proc: subprocess.Popen
    cgroup: Cgroup
    scratch: str | None = None
    notes: list[str] = field(default_factory=list)
    # A pidfd of `proc`, opened while it could not have been reaped: signals through it never reach a process
    # that got its pid after it was reaped.
    pidfd: int | None = None

    def interrupt(self) -> None:
        """SIGKILL the process and everything in its cgroup, without waiting or cleaning up: what another thread
        may do while the owner is blocked (`kill` then reaps and removes)."""
        if self.pidfd is not None:
            try:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            except OSError:
                pass  # already gone
        for pid in self.cgroup.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def kill(self) -> None:
        """Kill the process, its session and its cgroup; nothing it started outlives this."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.cgroup.kill_all()
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None

    @property
    def oom_killed(self) -> bool:
        return self.cgroup.oom_killed()


def spawn(argv: list[str], spec: JailSpec, limits: Limits, jailed: bool = True, pass_fds: tuple[int, ...] = (),
          **popen: object) -> JailedProcess:
    """Start `argv` in the jail (or, with `jailed=False`, only under limits) with `pass_fds` kept open."""
    for path in spec.read_write:
        writable_by_jail(path)
    cgroup = Cgroup.create(limits)
    scratch = None
    env = dict(spec.env)
    try:
        if jailed:
            filter_fd = seccomp_fd()
            try:
                cmd = jail_command(argv, spec, filter_fd)
                proc = subprocess.Popen(cmd, pass_fds=(*pass_fds, filter_fd), start_new_session=True,
                                        preexec_fn=preexec(limits, cgroup, _prctl(), jail_uid()), env={}, **popen)  # type: ignore[call-overload]
            finally:
                os.close(filter_fd)
        else:
            scratch = tempfile.mkdtemp(prefix="kw_unjailed_")
            env.update(HOME=scratch, TMPDIR=scratch, PATH=os.environ.get("PATH", "/usr/bin:/bin"))
            proc = subprocess.Popen(argv, pass_fds=pass_fds, start_new_session=True, cwd=scratch, env=env,
                                    preexec_fn=preexec(limits, cgroup, _prctl()), **popen)  # type: ignore[call-overload]
    except BaseException:
        cgroup.kill_all()
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
        raise
    return JailedProcess(proc, cgroup, scratch, list(cgroup.notes), _pidfd(proc.pid))


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except OSError:  # a kernel before 5.3: `interrupt` then reaches the process through its cgroup only
        return None


def run(argv: list[str], spec: JailSpec, limits: Limits, timeout_s: float, jailed: bool = True) -> \
        subprocess.CompletedProcess:
    """Run `argv` to completion in the jail; a run past `timeout_s` is killed and reported as exit code -9."""
    child = spawn(argv, spec, limits, jailed, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = child.proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        child.kill()
        out, err = child.proc.communicate()
        err = (err or "") + f"\nkilled after {timeout_s:.0f} s"
    finally:
        child.kill()
    return subprocess.CompletedProcess(argv, child.proc.returncode, out or "", err or "")
