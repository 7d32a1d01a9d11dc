"""A jailed runner as the judge sees it: start it, send commands with deadlines, serve its build requests, kill it.

The judge never believes what a runner says about itself. It reads three kinds of things back: data (outputs and
generated inputs, which it checks), failures (which can only lower the runner's own verdict), and build requests
(plain data it screens and compiles elsewhere). Whether the process crashed, was OOM-killed or ran out of time
comes from the kernel (wait status, the cgroup's OOM count, the judge's own clock).
"""

from __future__ import annotations

import os
import shutil
import signal
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

from evaluator.jail.bwrap import JailSpec
from evaluator.jail.limits import Limits
from evaluator.jail.process import JailedProcess, spawn
from evaluator.jail.view import package_roots
from evaluator.runner import tensors
from evaluator.runner.protocol import (
    FDS_ENV,
    RUNNER_MESSAGE,
    BuildRequest,
    Built,
    Channel,
    ChannelClosed,
    ChannelTimeout,
    Failure,
    Ready,
    Reply,
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


class RunnerTimeout(Exception):
    """No answer before the deadline; the runner has been killed."""


class RunnerFailed(Exception):
    """The runner reported a failure (believed: it can only lower the runner's own verdict)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


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
    gpu: bool = False
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
        spec = JailSpec(read_only=read_only, read_write=config.read_write, gpu=config.gpu, env=env,
                        tmpfs_mb=config.scratch_mb)
        try:
            self.child: JailedProcess = spawn([sys.executable, "-m", "evaluator.runner"], spec, config.limits,
                                              jailed=config.jailed, pass_fds=(runner_end.fileno(), self.rx, self.tx),
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
        self.channel = Channel(judge_end)
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

    def wait_ready(self, deadline: float) -> None:
        """Wait for the runner's `ready` (Python and torch imported)."""
        if self.ready:
            return
        message = self._receive(deadline)
        if not isinstance(message, Ready):
            self.kill()
            raise RunnerGone("the runner broke the protocol while starting")
        self.ready = True

    def request(self, message: Any, deadline: float) -> Reply:
        """Send one command and return its reply, serving build requests meanwhile."""
        self.wait_ready(deadline)
        try:
            self.channel.send(message)
        except ChannelClosed:
            raise self._gone() from None
        while True:
            answer = self._receive(deadline)
            if isinstance(answer, BuildRequest):
                built = self.on_build(answer) if self.on_build else Built(failure=Failure(
                    status="build_error", reason="compile_error", message="this runner may not build kernels"))
                if built.failure is None and built.path:
                    built = built.model_copy(update={"path": self._expose(Path(built.path))})
                try:
                    self.channel.send(built)
                except ChannelClosed:
                    raise self._gone() from None
                continue
            if isinstance(answer, Failure):
                raise RunnerFailed(answer)
            if isinstance(answer, Reply):
                return answer
            self.kill()
            raise RunnerGone("the runner answered out of turn")

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
        try:
            return self.channel.recv(RUNNER_MESSAGE, deadline)
        except ChannelTimeout:
            self.kill()
            raise RunnerTimeout() from None
        except ChannelClosed as exc:
            raise self._gone(str(exc)) from None

    def _gone(self, detail: str = "") -> RunnerGone:
        """Why the runner is gone: its wait status and the cgroup's OOM count, once it has exited."""
        try:
            code = self.child.proc.wait(timeout=5)
        except Exception:  # noqa: BLE001 - still running after closing the channel: a protocol breach
            self.kill()
            return RunnerGone(f"the runner broke the protocol ({detail})" if detail else "the runner broke the "
                              "protocol")
        oom = self.child.oom_killed
        signal_number = None
        if code < 0:
            signal_number = -code
        elif code > 128 and self.config.jailed:
            signal_number = code - 128  # bubblewrap's pid 1 reports a child killed by signal N as 128 + N
        self.kill()
        if signal_number is not None:
            name = signal.Signals(signal_number).name if signal_number in signal.Signals._value2member_map_ else \
                str(signal_number)
            return RunnerGone(f"killed by {name}", signal_number, oom)
        return RunnerGone(f"exited with code {code}" + (f" ({detail})" if detail else ""), None, oom)

    def write_args(self, args: list[Any]) -> list[Any]:
        """Write a call's arguments into rx; returns their specs."""
        specs, _ = tensors.write_args(self.rx, args)
        return specs

    def read_inputs(self, specs: list[Any]) -> list[Any]:
        """What is in rx now where `write_args` wrote `specs` (to see whether the runner changed it)."""
        return tensors.read_args(self.rx, specs, self.config.arena_bytes)

    def read_outputs(self, specs: list[TensorSpec]) -> list[Any]:
        tensors.check_total(specs, self.config.arena_bytes)
        return [tensors.read_tensor(self.tx, spec, self.config.arena_bytes) for spec in specs]

    def kill(self) -> None:
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
