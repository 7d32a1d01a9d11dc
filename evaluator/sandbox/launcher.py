"""Parent side of the sandbox: start the child, feed it the request, collect its messages, clean up.

The result channel is a pipe opened before any candidate code exists; every message on it carries a
per-evaluation nonce, so text a candidate prints cannot pose as a verdict.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from evaluator.request import EvalRequest
from evaluator.sandbox.limits import Limits, PidsCgroup, preexec

_PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Toolchain and device selection only: CUDA_VISIBLE_DEVICES pins the child to the evaluator's GPU.
_KEEP_ENV = ("PATH", "LANG", "LC_ALL", "CXX", "CC", "LD_LIBRARY_PATH", "CUDA_HOME", "CUDA_PATH", "CUDA_VISIBLE_DEVICES",
             "KERNELWRIGHT_CUDA_ARCH", "TRITON_LIBCUDA_PATH")
_LOG_LIMIT = 64 * 1024


@dataclass
class ChildOutcome:
    messages: list[dict] = field(default_factory=list)
    returncode: int | None = None
    timed_out: bool = False
    wall_s: float = 0.0
    log: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def signal(self) -> int | None:
        return -self.returncode if self.returncode is not None and self.returncode < 0 else None


def child_env(request: EvalRequest, threads: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A scrubbed environment: no API keys or tokens reach candidate code (row 15); `extra` is the platform's."""
    env = {k: os.environ[k] for k in _KEEP_ENV if k in os.environ}
    env.update(extra or {})
    env.update(
        HOME=request.private_dir,
        TMPDIR=request.private_dir,
        PYTHONPATH=str(_PROJECT_ROOT),
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
        OMP_NUM_THREADS=str(threads),
        MKL_NUM_THREADS=str(threads),
        KERNELWRIGHT_CACHE_DIR=request.cache_dir,
        KW_PARENT_NETNS=_netns(),
    )
    return env


def _netns() -> str:
    try:
        return os.readlink("/proc/self/ns/net")
    except OSError:
        return ""


def _drain(stream: object, sink: list[bytes]) -> None:
    size = 0
    for chunk in iter(lambda: stream.read(4096), b""):  # type: ignore[attr-defined]
        sink.append(chunk)
        size += len(chunk)
        while size > _LOG_LIMIT and len(sink) > 1:
            size -= len(sink.pop(0))


def run_child(request: EvalRequest, threads: int, extra_env: dict[str, str] | None = None,
              limit_address_space: bool = True) -> ChildOutcome:
    """Run one evaluation in a fresh child; never raises for anything the candidate does.

    `extra_env` and `limit_address_space` come from the platform (a GPU child can't run under RLIMIT_AS).
    """
    opts = request.options
    limits = Limits(memory_mb=opts.memory_mb, cpu_seconds=int(opts.timeout_s * max(threads, 1) * 2 + 30),
                    max_processes=opts.max_processes, max_file_mb=opts.max_file_mb,
                    address_space=limit_address_space)
    cgroup = PidsCgroup.create(opts.max_processes)
    outcome = ChildOutcome(notes=list(cgroup.notes))
    read_fd, write_fd = os.pipe()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "evaluator.child", str(write_fd)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        pass_fds=(write_fd,), cwd=request.private_dir, env=child_env(request, threads, extra_env),
        preexec_fn=preexec(limits, cgroup, isolate_network=True), start_new_session=True,
    )
    os.close(write_fd)
    log_chunks: list[bytes] = []
    raw: list[bytes] = []
    readers = [
        threading.Thread(target=_drain, args=(proc.stdout, log_chunks), daemon=True),
        threading.Thread(target=lambda: raw.append(_read_all(read_fd)), daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        assert proc.stdin is not None
        proc.stdin.write(request.model_dump_json().encode())
        proc.stdin.close()
    except BrokenPipeError:
        pass
    try:
        proc.wait(timeout=opts.timeout_s)
    except subprocess.TimeoutExpired:
        outcome.timed_out = True
    finally:
        _kill_everything(proc, cgroup)
    for reader in readers:
        reader.join(timeout=5)
    outcome.wall_s = time.perf_counter() - start
    outcome.returncode = proc.returncode
    outcome.log = b"".join(log_chunks).decode(errors="replace")[-_LOG_LIMIT:]
    outcome.messages = _parse(b"".join(raw), request.nonce)
    return outcome


def _read_all(fd: int) -> bytes:
    chunks = []
    with os.fdopen(fd, "rb") as handle:
        for chunk in iter(lambda: handle.read(65536), b""):
            chunks.append(chunk)
    return b"".join(chunks)


def _parse(raw: bytes, nonce: str) -> list[dict]:
    messages = []
    for line in raw.decode(errors="replace").splitlines():
        try:
            msg = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(msg, dict) and msg.get("nonce") == nonce:
            messages.append(msg)
    return messages


def _kill_everything(proc: subprocess.Popen, cgroup: PidsCgroup) -> None:
    """Kill the child's whole session and cgroup: nothing it started outlives the evaluation."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    cgroup.kill_all()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
