"""Shared helpers for the adversarial tests: kernels, tasks, fast options and an evaluator without its static checks.

`run_unchecked` does what `evaluator.api.evaluate` does minus `check_source`, so a test can show that the
runtime sandbox and checks still hold for a candidate the static rules would have stopped first.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from functools import cache
from pathlib import Path

import torch

from evaluator.api import _to_result, default_threads, resolve_size
from evaluator.build.cache import cache_root
from evaluator.build.cpp import CppBuilder, patched_load_inline
from evaluator.platforms import get_platform
from evaluator.request import EvalOptions, EvalRequest
from evaluator.result import EvalResult, Reason, Status
from evaluator.sandbox.launcher import run_child
from tasks.loader import load_task
from tasks.model import Task
from tasks.module import exec_module_from_source
from tasks.registry import resolve_task

HERE = Path(__file__).resolve().parent
KERNELS = HERE / "kernels"
TASKS = HERE / "tasks"
RELU_SOLUTION = HERE.parents[1] / "tasks" / "suite" / "activation" / "solutions" / "relu.cpu.py"


def kernel_source(name: str, replacements: dict[str, str] | None = None) -> str:
    """The source of `kernels/<name>.py`, with each key replaced by its value (paths, markers, ports)."""
    text = (KERNELS / f"{name}.py").read_text()
    for old, new in (replacements or {}).items():
        assert old in text, f"{name}.py has no placeholder {old!r}"
        text = text.replace(old, new)
    return text


def fast_options(**overrides: object) -> EvalOptions:
    """Small settings: one correctness trial, no timing unless asked, a short wall-clock limit."""
    base: dict[str, object] = dict(correctness_trials=1, timing=False, buckets=3, min_bucket_ms=1.0, timeout_s=120)
    base.update(overrides)
    return EvalOptions.model_validate(base)


@cache
def suite_task(ref: str) -> Task:
    """A suite task by id (probed once per session)."""
    return resolve_task(ref)


@cache
def adversarial_task(name: str) -> Task:
    """A task file from `tests/adversarial/tasks/` (probed once per session)."""
    return load_task(TASKS / f"{name}.py")


def run_unchecked(task: Task, source: str, options: EvalOptions, private_dir: Path | None = None,
                  platform: str = "cpu") -> EvalResult:
    """`evaluate()` without the static checks: build the same request, run the sandboxed child, read its verdict."""
    plat = get_platform(platform)
    task = resolve_size(task, options.size, plat.name)
    threads = options.threads or default_threads()
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)  # as evaluate() does: the peaks are cached per thread count
    try:
        plat.prepare()
        peaks = plat.peaks()
    finally:
        torch.set_num_threads(previous)
    private = private_dir or Path(tempfile.mkdtemp(prefix="kw_adv_"))
    private.mkdir(parents=True, exist_ok=True)
    request = EvalRequest(task=task, candidate_source=source, platform=plat.name, options=options, peaks=peaks,
                          verification=plat.verification(), nonce=uuid.uuid4().hex, private_dir=str(private),
                          cache_dir=str(cache_root()))
    try:
        outcome = run_child(request, threads, plat.child_env(), plat.limit_address_space)
    finally:
        if private_dir is None:
            shutil.rmtree(private, ignore_errors=True)
    return _to_result(outcome, options)


def prebuild(source: str) -> None:
    """Build a (trusted test) candidate's kernels into the shared cache by importing it here, unsandboxed.

    Only the import runs, never `forward`; a test whose point is a timeout then doesn't spend it compiling.
    """
    from torch.utils import cpp_extension

    original = cpp_extension.load_inline
    cpp_extension.load_inline = patched_load_inline(CppBuilder())
    try:
        exec_module_from_source(source, "prebuild")
    finally:
        cpp_extension.load_inline = original


def assert_readable(message: str) -> None:
    """A verdict message a person (or an agent) can act on: words, not a bare traceback or code."""
    assert message and message.strip(), "empty message"
    assert len(message) >= 15 and " " in message, f"terse message: {message!r}"
    assert message.isprintable() or "\n" in message, f"unprintable message: {message!r}"
    assert "Traceback (most recent call last)" not in message, f"raw traceback as message: {message!r}"


def assert_verdict(result: EvalResult, status: Status, reason: Reason, contains: str | None = None) -> None:
    """Exactly this status and reason, with a readable message (that mentions `contains`, when given)."""
    detail = (f"expected {status.value}/{reason.value}, got {result.status.value}/{result.reason.value} at "
              f"{result.stage.value}: {result.message}\n--- log ---\n{result.log[-3000:]}")
    assert (result.status, result.reason) == (status, reason), detail
    assert_readable(result.message)
    if contains is not None:
        assert contains.lower() in result.message.lower(), detail


def processes_with_marker(marker: str) -> list[int]:
    """Pids of live processes whose command line contains `marker` (read from /proc, no psutil)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(entry.name))
    return found
