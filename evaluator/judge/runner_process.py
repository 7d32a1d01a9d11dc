"""A jailed runner as the judge sees it: start it, send commands with deadlines, serve its build requests, kill it.

The judge never believes what a runner says about itself. It reads three kinds of things back: data (outputs and
generated inputs, which it checks), failures (which can only lower the runner's own verdict), and build requests
(plain data it screens and compiles elsewhere). Whether the process crashed, was OOM-killed or ran out of time
comes from the kernel (exit status, the cgroup's OOM count) and the judge's own clock.

The judge takes exactly one frame per frame it sends (the channel's tags), of a kind the command asked for: an
answer, or a build request while a candidate's module loads and ModelNew is constructed (the Setup command of a
runner that builds through the judge), at most `MAX_BUILDS` of them. Anything else ends the conversation at once
(`RunnerBreach`), before the judge parses it or answers it; so per evaluation a runner gets no more frames read
than the judge sent commands, plus its builds. Every send and receive has the request's deadline, and a watchdog
kills the runner at that deadline whatever the judge is blocked on.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kernelwright.evaluator.jail.bwrap import JailSpec
from kernelwright.evaluator.jail.limits import Limits
from kernelwright.evaluator.jail.process import JailedProcess, exit_status, spawn
from kernelwright.evaluator.jail.view import package_roots
from kernelwright.evaluator.judge.watchdog import GRACE_S, Watchdog
from kernelwright.evaluator.runner import tensors
from kernelwright.evaluator.runner.protocol import (
    FDS_ENV,
    RUNNER_MESSAGE,
    BuildRequest,
    Built,
    Channel,
    ChannelBreach,
    ChannelClosed,
    ChannelTimeout,
    Failure,
    Reply,
    Setup,
    TensorSpec,
)

LOG_LIMIT = 64 * 1024
# Passed through to runners: the toolchain's and the GPU's selection, nothing secret.
_KEEP_ENV = ("CUDA_VISIBLE_DEVICES", "TRITON_LIBCUDA_PATH", "CUDA_HOME", "CUDA_PATH")
# glibc returns big freed blocks to the OS and page-faults them back on the next call, so an eager baseline's
# time swings with the allocator's state (10 to 27 ms for one relu(2x+1) here). Keeping freed memory makes both
# sides' steady state what a long-running process sees; both runners get the same setting.
ALLOCATOR_ENV = {"MALLOC_MMAP_THRESHOLD_": str(32 * 2**20), "MALLOC_TRIM_THRESHOLD_": str(2**31),
                 "MALLOC_TOP_PAD_": str(64 * 2**20)}


class RunnerGone(Exception):
    """The runner exited or broke the protocol; `why` says how, from what the kernel reports."""

    def __init__(self, why: str, signal_number: int | None = None, oom: bool = False) -> None:
        super().__init__(why)
        self.why, self.signal_number, self.oom = why, signal_number, oom


class RunnerBreach(RunnerGone):
    """The runner sent a frame the current command did not ask for (or one too many); it has been killed."""


class ProtocolBreach(Exception):
    """Raised by a build handler for a request it must not answer (past the build cap): ends the evaluation."""


class RunnerTimeout(Exception):
    """No answer before the deadline, or an answer the runner would not take; the runner has been killed."""


class RunnerFailed(Exception):
    """The runner reported a failure (believed: it can only lower the runner's own verdict)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


# Answers a build request; raises ProtocolBreach for one that ends the evaluation instead.
BuildHandler = Callable[[BuildRequest], Built]


@dataclass
class RunnerConfig:
    """How to start one runner."""

    platform: str
    threads: int
    limits: Limits
    jailed: bool = True
    read_only: list[str] = field(default_factory=list)
    read_write: list[str] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    arena_bytes: int = 2**30
    scratch_mb: int = 1024  # the jail's /tmp (a tmpfs)
    # The builder's module folder, for runners that load kernels the judge builds: such a runner sees a folder of
    # its own holding only the modules built for it, never the whole cache (other candidates' kernels).
    modules_from: str | None = None


_swept_modules = False


def _private_modules_dir(modules_from: str) -> Path:
    """A new, empty folder beside the builder's, named for this judge (so a later judge can sweep it if this one
    was killed before cleaning up)."""
    global _swept_modules
    root = Path(modules_from).parent / "runner-modules"
    root.mkdir(parents=True, exist_ok=True)
    if not _swept_modules:
        _swept_modules = True
        for stale in root.iterdir():
            owner = stale.name.split("-")[0]
            if owner.isdigit() and not Path(f"/proc/{owner}").exists():
                shutil.rmtree(stale, ignore_errors=True)
    folder = root / f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
    folder.mkdir()
    return folder


def _drain(stream: Any, sink: list[bytes]) -> None:
    size = 0
    for chunk in iter(lambda: stream.read1(4096), b""):  # read1: what is there now, not a full 4 KiB
        sink.append(chunk)
        size += len(chunk)
        while size > LOG_LIMIT and len(sink) > 1:
            size -= len(sink.pop(0))


class RunnerProcess:
    """One started runner."""

    def __init__(self, config: RunnerConfig, on_build: BuildHandler | None = None) -> None:
        self.config = config
        self.on_build = on_build
        self.started = time.monotonic()
        self._log: list[bytes] = []
        judge_end, runner_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.rx = tensors.arena(config.arena_bytes, "kw-rx")
        self.tx = tensors.arena(config.arena_bytes, "kw-tx")
        env = {key: os.environ[key] for key in _KEEP_ENV if key in os.environ}
        env.update(ALLOCATOR_ENV)
        env.update(config.env)
        env.update(PYTHONPATH=os.pathsep.join(package_roots()), PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1",
                   OMP_NUM_THREADS=str(config.threads), MKL_NUM_THREADS=str(config.threads),
                   **{FDS_ENV: f"{runner_end.fileno()},{self.rx},{self.tx}"})
        self.modules: Path | None = _private_modules_dir(config.modules_from) if config.modules_from else None
        read_only = [*config.read_only, *([str(self.modules)] if self.modules else [])]
        spec = JailSpec(read_only=read_only, read_write=config.read_write, devices=config.devices, env=env,
                        tmpfs_mb=config.scratch_mb)
        try:
            command = [sys.executable, "-m", "kernelwright.evaluator.runner"]
            self.child: JailedProcess = spawn(command, spec, config.limits, jailed=config.jailed,
                                              pass_fds=(runner_end.fileno(), self.rx, self.tx),
                                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                              stderr=subprocess.STDOUT)
        except BaseException:
            judge_end.close()
            os.close(self.rx)
            os.close(self.tx)
            if self.modules is not None:
                shutil.rmtree(self.modules, ignore_errors=True)
            raise
        finally:
            runner_end.close()
        self.channel = Channel(judge_end, asks=True)
        # The runner's hard deadline between requests, where it lives one evaluation (`expires`).
        self.expiry: float | None = None
        self.watchdog = Watchdog(self.child.interrupt, name=str(self.child.proc.pid))
        self._reader = threading.Thread(target=_drain, args=(self.child.proc.stdout, self._log), daemon=True)
        self._reader.start()
        self.ready = False
        # The argument specs of the runner's current timing buffers (see `timing.timed_round`).
        self.loaded: list[Any] | None = None

    def freeze(self, deadline: float) -> bool:
        """Stop the runner where it stands (see `JailedProcess.freeze`); True once it stands still."""
        return self.child.freeze(deadline)

    def thaw(self) -> None:
        self.child.thaw()

    def cpu_seconds(self) -> float | None:
        """CPU time used by everything in this runner's jail so far (the kernel's count), where it can be read."""
        return self.child.cgroup.cpu_seconds()

    @property
    def notes(self) -> list[str]:
        return self.child.notes

    @property
    def log(self) -> str:
        return b"".join(self._log).decode(errors="replace")[-LOG_LIMIT:]

    def expires(self, deadline: float) -> None:
        """This runner lives one evaluation that ends at `deadline`: the watchdog kills it then (plus its grace)
        even between requests, say while the judge waits for a lock."""
        self.expiry = deadline
        self.watchdog.arm(deadline + GRACE_S)

    def wait_ready(self, deadline: float) -> None:
        """Wait for the runner's `ready` (Python and torch imported)."""
        if self.ready:
            return
        self.watchdog.arm(deadline + GRACE_S)
        try:
            self._expect_ready(deadline)
        finally:
            self._unwatch()

    def _expect_ready(self, deadline: float) -> None:
        if self.ready:
            return
        message = self._receive(deadline)
        if message.op != "ready":
            raise self._breach(f"a {message.op!r} frame before it said it was ready")
        self.ready = True

    def request(self, message: Any, deadline: float) -> Reply:
        """Send one command and return its reply, serving build requests meanwhile (during a candidate's Setup
        only; see the module's docstring)."""
        self.watchdog.arm(deadline + GRACE_S)
        try:
            self._expect_ready(deadline)
            self._send(message, deadline)
            builds = self.on_build if isinstance(message, Setup) else None
            while True:
                answer = self._receive(deadline)
                if isinstance(answer, BuildRequest):
                    if builds is None:
                        raise self._breach(f"a kernel build request during {message.op!r}: kernels are built only "
                                           "while the candidate's module loads and ModelNew is constructed")
                    try:
                        built = builds(answer)
                    except ProtocolBreach as exc:
                        raise self._breach(str(exc)) from None
                    if built.failure is None and built.path:
                        built = built.model_copy(update={"path": self._expose(Path(built.path))})
                    self._send(built, deadline)
                    continue
                if isinstance(answer, Failure):
                    raise RunnerFailed(answer)
                if isinstance(answer, Reply):
                    return answer
                raise self._breach(f"a {answer.op!r} frame in answer to {message.op!r}")
        finally:
            self._unwatch()

    def _unwatch(self) -> None:
        """After a request: the watchdog back to the runner's own expiry, or off."""
        if self.expiry is not None:
            self.watchdog.arm(self.expiry + GRACE_S)
        else:
            self.watchdog.disarm()

    def _send(self, message: Any, deadline: float) -> None:
        try:
            self.channel.send(message, deadline)
        except ChannelTimeout:  # it does not read what the judge writes: as good as silent
            self.kill()
            raise RunnerTimeout() from None
        except ChannelClosed:
            raise self._gone() from None

    def _expose(self, module: Path) -> str:
        """Put a built module where this runner can load it: a copy in its own folder (a copy, not a link: nothing
        the runner could do to it reaches the cache, even unjailed)."""
        if self.modules is None or self.config.modules_from is None:
            raise RunnerGone("internal: a build for a runner that loads no modules")
        if module.parent.parent != Path(self.config.modules_from):
            raise RunnerGone(f"internal: a module outside the builder's folder ({module})")
        target = self.modules / module.parent.name / module.name
        target.parent.mkdir(exist_ok=True)
        if not target.exists():
            shutil.copyfile(module, target)
        return str(target)

    def _receive(self, deadline: float) -> Any:
        """The next frame: one the judge asked for, with nothing queued behind it."""
        try:
            message = self.channel.recv(RUNNER_MESSAGE, deadline)
        except ChannelTimeout:
            self.kill()
            raise RunnerTimeout() from None
        except ChannelBreach as exc:
            raise self._breach(str(exc)) from None
        except ChannelClosed as exc:
            raise self._gone(str(exc)) from None
        if self.channel.pending():
            raise self._breach(f"more bytes behind its {message.op!r} frame, which nothing asked for")
        return message

    def _breach(self, why: str) -> RunnerBreach:
        self.kill()
        return RunnerBreach(why)

    def _gone(self, detail: str = "") -> RunnerGone | RunnerTimeout:
        """Why the runner is gone: its exit status and the cgroup's OOM count, once it has exited (a timeout, if
        the watchdog killed it)."""
        try:
            code = self.child.proc.wait(timeout=5)
        except Exception:  # noqa: BLE001 - still running after closing the channel: a protocol breach
            return self._breach(f"it broke the protocol ({detail})" if detail else "it broke the protocol")
        oom = self.child.oom_killed
        self.kill()
        if self.watchdog.fired:
            return RunnerTimeout()
        status = exit_status(code, self.config.jailed)
        if status.signal is not None:
            return RunnerGone(f"killed by {status.signal_name}", status.signal, oom)
        return RunnerGone(f"exited with code {code}" + (f" ({detail})" if detail else ""), None, oom)

    def write_args(self, args: list[Any], start: int = 0) -> list[Any]:
        """Write a call's arguments into rx from offset `start`; returns their specs."""
        specs, _ = tensors.write_args(self.rx, args, start)
        return specs

    def read_inputs(self, specs: list[Any]) -> list[Any]:
        """What is in rx now where `write_args` wrote `specs` (to see whether the runner changed it)."""
        return tensors.read_args(self.rx, specs, self.config.arena_bytes)

    def read_outputs(self, specs: list[TensorSpec]) -> list[Any]:
        tensors.check_total(specs, self.config.arena_bytes)
        return [tensors.read_tensor(self.tx, spec, self.config.arena_bytes) for spec in specs]

    def kill(self) -> None:
        self.watchdog.close()  # first: it must not signal a process this thread is about to reap
        self.child.kill()
        if self.modules is not None:
            shutil.rmtree(self.modules, ignore_errors=True)
        for fd in (self.rx, self.tx):
            try:
                os.close(fd)
            except OSError:
                pass
        self.rx = self.tx = -1
        try:
            self.channel.sock.close()
        except OSError:
            pass

    @property
    def alive(self) -> bool:
        return self.child.proc.poll() is None and self.rx >= 0
