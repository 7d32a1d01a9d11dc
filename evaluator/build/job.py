"""One build as the judge runs it: the sources go in on stdin, the compiler steps run in the jail's scratch folder
(its capped tmpfs), and only the built module comes back, on stdout, up to a size cap.

No host folder is writable by the compiler: a small driver (`DRIVER`, plain Python, standard library only) writes
the sources into its working folder, runs each step with the compiler's own output sent to stderr, and then writes
the module's bytes to stdout. The judge reads stderr into a bounded log and streams stdout into the cache, and
stops the build as soon as either is longer than it takes. Whatever the compiler writes besides the module (dump
files, temporaries) stays on the tmpfs and is gone with the jail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kernelwright.evaluator.build.errors import BuildError, UnsafeSourceError, trim_compiler_log
from kernelwright.evaluator.jail.capture import LOG_STOP_BYTES, BoundedLog, CappedFile, Sink, Stopped, pump

# A built module's size at most. A kernel's module is a few hundred KiB (a CUDA one with several architectures a few
# MiB); a bigger one carries data (large initialised arrays), which no kernel needs and which fills the cache.
MAX_MODULE_BYTES = 64 * 2**20
# How the driver reports: step i failed -> exit code STEP_EXIT + i; the module is over the cap -> TOO_LARGE_EXIT.
STEP_EXIT = 100
TOO_LARGE_EXIT = 99
PLAIN_TIMEOUT_S = 600.0

DRIVER = """
import json, os, shutil, subprocess, sys
job = json.loads(sys.stdin.buffer.read())
for name, text in job["files"].items():
    with open(name, "w", encoding="utf-8") as handle:
        handle.write(text)
for number, argv in enumerate(job["steps"]):
    if subprocess.call(argv, stdin=subprocess.DEVNULL, stdout=2) != 0:
        sys.exit(job["step_exit"] + number)
if job["output"]:
    with open(job["output"], "rb") as module:
        if os.fstat(module.fileno()).st_size > job["max_output"]:
            sys.exit(job["too_large_exit"])
        shutil.copyfileobj(module, sys.stdout.buffer)
"""

# argv, stdin bytes, where stdout goes, where stderr goes -> the finished process (its stderr text is the log's).
CommandRunner = Callable[[list[str], bytes, Sink, BoundedLog], subprocess.CompletedProcess]


@dataclass(frozen=True)
class BuildStep:
    """One compiler run; `what` names it in messages ("compiling the C++ kernel")."""

    what: str
    argv: list[str]


@dataclass(frozen=True)
class BuildJob:
    """Files to write (name -> text, in the build's working folder), the steps, and the file that comes back."""

    files: dict[str, str]
    steps: list[BuildStep]
    output: str | None = None  # None: only whether the steps succeeded (a compile check)

    def driver_input(self) -> bytes:
        return json.dumps({"files": self.files, "steps": [s.argv for s in self.steps], "output": self.output,
                           "max_output": MAX_MODULE_BYTES, "step_exit": STEP_EXIT,
                           "too_large_exit": TOO_LARGE_EXIT}).encode()


def driver_argv() -> list[str]:
    """The driver's command line: this Python, isolated (-I) and without site-packages (-S)."""
    return [sys.executable, "-I", "-S", "-c", DRIVER]


class _Discard:
    """A stdout for jobs that bring nothing back: anything at all printed there is more than expected."""

    total = 0

    @property
    def full(self) -> bool:
        return self.total > 0

    def write(self, data: bytes) -> None:
        self.total += len(data)


def execute(job: BuildJob, run: CommandRunner, output_to: Path | None = None) -> None:
    """Run `job` through `run`; on success its output (a module) is at `output_to`, written by the judge.

    Raises `BuildError` with the trimmed log when a step fails, the compiler prints more than the judge reads or the
    build is killed, and `UnsafeSourceError` when the module is over `MAX_MODULE_BYTES`. The log names the files
    as the build saw them (`kernel.cpp`), in its own working folder.
    """
    log = BoundedLog()
    if job.output is None or output_to is None:
        proc = run(driver_argv(), job.driver_input(), _Discard(), log)
        _raise_for(job, proc, log)
        return
    output_to.parent.mkdir(parents=True, exist_ok=True)
    tmp = output_to.with_name(f".{output_to.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            module = CappedFile(handle, MAX_MODULE_BYTES)
            proc = run(driver_argv(), job.driver_input(), module, log)
        if module.full or proc.returncode == TOO_LARGE_EXIT:
            raise UnsafeSourceError(f"the built module is over {MAX_MODULE_BYTES // 2**20} MiB: kernels may not "
                                    "carry large data (initialised arrays, tables); compute it or pass it as input")
        _raise_for(job, proc, log)
        os.chmod(tmp, 0o644)
        os.replace(tmp, output_to)
    finally:
        tmp.unlink(missing_ok=True)


def _raise_for(job: BuildJob, proc: subprocess.CompletedProcess, log: BoundedLog) -> None:
    trimmed = trim_compiler_log(proc.stderr if isinstance(proc.stderr, str) else "")
    code = proc.returncode
    if log.full:
        raise BuildError(f"the compiler printed more than {LOG_STOP_BYTES // 2**20} MiB of messages and was stopped; "
                         "the first and last of them are in the log", trimmed)
    if code == 0:
        return
    if STEP_EXIT <= code < STEP_EXIT + len(job.steps):
        raise BuildError(f"{job.steps[code - STEP_EXIT].what} failed", trimmed)
    raise BuildError(f"the build was stopped ({_why(proc)})", trimmed)


def _why(proc: subprocess.CompletedProcess) -> str:
    last = (proc.stderr or "").strip().splitlines()[-1:] if isinstance(proc.stderr, str) else []
    if last and last[0].startswith(("killed after", "stopped:")):
        return last[0]
    return f"exit code {proc.returncode}: out of memory or over a limit of the build jail"


def run_plain(argv: list[str], stdin: bytes, stdout: Sink, stderr: BoundedLog) -> subprocess.CompletedProcess:
    """Run a build outside any jail, in a temporary folder: only for trusted inputs (tests, the harness's own)."""
    with tempfile.TemporaryDirectory(prefix="kw_plain_build_") as folder:
        proc = subprocess.Popen(argv, cwd=folder, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        stdin_fd = os.dup(proc.stdin.fileno())
        proc.stdin.close()
        try:
            stopped = pump({proc.stdout.fileno(): stdout, proc.stderr.fileno(): stderr},
                           time.monotonic() + PLAIN_TIMEOUT_S, (stdin_fd, stdin))
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            proc.stdout.close()
            proc.stderr.close()
    why = {Stopped.full: "\nstopped: it printed more output than the judge reads",
           Stopped.deadline: f"\nkilled after {PLAIN_TIMEOUT_S:.0f} s", None: ""}[stopped]
    return subprocess.CompletedProcess(argv, -9 if why else proc.returncode, "", stderr.text() + why)
