"""Shared helpers for the adversarial tests: kernels, tasks, fast options and an evaluator without its static checks.

`run_unchecked` is `evaluate` without the static text screens, so a test can show that the jail, the judge and
the runner's tripwires still hold for a candidate the static rules would have stopped first.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

from kernelwright.evaluator.api import checked_task, evaluate
from kernelwright.evaluator.request import EvalOptions
from kernelwright.evaluator.result import EvalResult, Reason, Status
from kernelwright.tasks.loader import load_task
from kernelwright.tasks.model import Task
from kernelwright.tasks.probe_result import ProbeResult
from kernelwright.tasks.registry import resolve_task

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
    """A suite task by id (probed, in the jail, once per session)."""
    return checked_task(resolve_task(ref))


@cache
def adversarial_task(name: str) -> Task:
    """A task file from `tests/adversarial/tasks/` (probed, in the jail, once per session)."""
    return checked_task(load_task(TASKS / f"{name}.py"))


def run_unchecked(task: Task, source: str, options: EvalOptions, platform: str = "cpu") -> EvalResult:
    """`evaluate()` without the static checks: the jailed runner, the judge and the tripwires alone."""
    return evaluate(task, source, platform, options, static_checks=False)


_IN_A_FRESH_PROCESS = """
import json, sys
from kernelwright.evaluator.api import checked_task, evaluate, probe
from kernelwright.evaluator.request import EvalOptions
from kernelwright.tasks.loader import load_task
from kernelwright.tasks.registry import resolve_task
job = json.loads(sys.stdin.read())
if job["kind"] == "probe":
    print(probe(load_task(job["task"])).model_dump_json())
else:
    task = checked_task(resolve_task(job["task"]))
    result = evaluate(task, job["source"], "cpu", EvalOptions.model_validate(job["options"]),
                      static_checks=job["static_checks"])
    print(result.model_dump_json())
"""


def _with_secret(job: dict[str, object], secret: str) -> str:
    """Run `job` in a fresh Python whose environment holds `secret` from its start, first of all (an evaluator's
    API key): what a candidate reading its judge's /proc/PID/environ would find, if it could."""
    env = {"OPENAI_API_KEY": secret, **{k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}}
    proc = subprocess.run([sys.executable, "-c", _IN_A_FRESH_PROCESS], input=json.dumps(job), env=env,
                          capture_output=True, text=True, timeout=900, cwd=HERE.parents[1])
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.strip().splitlines()[-1]


def evaluate_with_secret(task_ref: str, source: str, options: EvalOptions, secret: str,
                         static_checks: bool = True) -> EvalResult:
    """`evaluate` in a fresh process whose environment holds `secret` (see `_with_secret`)."""
    job = {"kind": "evaluate", "task": task_ref, "source": source, "options": options.model_dump(),
           "static_checks": static_checks}
    return EvalResult.model_validate_json(_with_secret(job, secret))


def probe_with_secret(task_path: Path, secret: str) -> ProbeResult:
    """`probe` of a task file in a fresh process whose environment holds `secret` (see `_with_secret`)."""
    return ProbeResult.model_validate_json(_with_secret({"kind": "probe", "task": str(task_path)}, secret))


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
