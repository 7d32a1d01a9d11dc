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
import time
from dataclasses import dataclass, field

from kernelwright.evaluator.jail.bwrap import JailSpec, jail_command, jail_uid, seccomp_fd, writable_by_jail
from kernelwright.evaluator.jail.capture import BoundedLog, Sink, Stopped, pump
from kernelwright.evaluator.jail.limits import Cgroup, Limits, preexec


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
    _stopped: list[int] = field(default_factory=list)  # what `freeze` stopped with signals, for `thaw`

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
        self.cgroup.thaw()  # a frozen (v1) group holds on to its processes even through SIGKILL

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

    def freeze(self, deadline: float) -> bool:
        """Stop everything in the jail where it stands, so that memory it shares with the judge holds still: the
        cgroup's freezer where there is one, else SIGSTOP to every process of the tree (which a jailed process
        can neither catch nor leave: its pid namespace's orphans stay under bubblewrap's pid 1). True once all of
        it stands still by `deadline` (time.monotonic())."""
        if self.cgroup.freezer is not None:
            return self.cgroup.freeze(deadline)
        self._stopped = _process_tree(self.proc.pid)
        for pid in self._stopped:
            try:
                os.kill(pid, signal.SIGSTOP)
            except ProcessLookupError:
                continue
        while not all(_stopped(pid) for pid in self._stopped):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.0002)
        return True

    def thaw(self) -> None:
        """Undo `freeze`."""
        if self.cgroup.freezer is not None:
            self.cgroup.thaw()
            return
        for pid in self._stopped:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                continue
        self._stopped = []


def _process_tree(root: int) -> list[int]:
    """`root` and every descendant, from /proc's children lists (every thread's)."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as handle:
                    todo += [int(p) for p in handle.read().split()]
        except OSError:
            continue
    return found


def _stopped(pid: int) -> bool:
    """Whether every thread of `pid` stands still (stopped, traced, or gone): a leader that exited leaves a zombie
    entry while its other threads may still run."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return True
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as handle:
                state = handle.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in ("T", "t", "Z", "X"):
            return False
    return True


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
    return JailedProcess(proc, cgroup, scratch, list(cgroup.notes), pidfd=_pidfd(proc.pid))


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except OSError:  # a kernel before 5.3: `interrupt` then reaches the process through its cgroup only
        return None


def run(argv: list[str], spec: JailSpec, limits: Limits, timeout_s: float, jailed: bool = True, *,
        stdin: bytes = b"", stdout: Sink | None = None, stderr: Sink | None = None) -> subprocess.CompletedProcess:
    """Run `argv` to completion in the jail, feeding it `stdin`; a run past `timeout_s` is killed.

    Its output is read as it comes (`capture.pump`), never whole: into the given sinks, or by default into a
    `BoundedLog` per pipe, whose head and tail come back as the result's `stdout` and `stderr` text (with a line
    saying how much was left out). A process whose output fills a sink is stopped there and then. The result's
    `stderr` ends with a line saying why the process was stopped, if it was; its exit code is then -9.
    """
    out = stdout if stdout is not None else BoundedLog()
    err = stderr if stderr is not None else BoundedLog()
    deadline = time.monotonic() + timeout_s
    child = spawn(argv, spec, limits, jailed, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                  stderr=subprocess.PIPE)
    proc = child.proc
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    why = ""
    try:
        # The pump closes its own copy of stdin once the data is written: that end of file is what the child waits
        # for, and the Popen's file object must not close a number the pump already closed.
        stdin_fd = os.dup(proc.stdin.fileno())
        proc.stdin.close()
        stopped = pump({proc.stdout.fileno(): out, proc.stderr.fileno(): err}, deadline, (stdin_fd, stdin))
        if stopped is Stopped.full:
            why = "stopped: it printed more output than the judge reads"
        elif stopped is Stopped.deadline:
            why = f"killed after {timeout_s:.0f} s"
        else:
            try:  # its pipes are closed, but it may still run (a child that closed them)
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                why = f"killed after {timeout_s:.0f} s"
    finally:
        child.kill()
        proc.stdout.close()
        proc.stderr.close()
    code = -9 if why else proc.returncode
    out_text = out.text() if isinstance(out, BoundedLog) else ""
    err_text = err.text() if isinstance(err, BoundedLog) else ""
    return subprocess.CompletedProcess(argv, code, out_text, err_text + (f"\n{why}" if why else ""))
