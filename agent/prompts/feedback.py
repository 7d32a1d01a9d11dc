"""The previous turn's verdict, as the next prompt tells it: trimmed errors, mismatch summary or timing."""

from __future__ import annotations

import re

from kernelwright.agent.prompts.builder import render
from kernelwright.evaluator.result import EvalResult, Status
from kernelwright.tasks.model import Task

MAX_LOG_LINES = 30
MAX_LOG_CHARS = 3000
_ERROR_LINE = re.compile(r"error|Error|undefined reference|Traceback|raise|line \d+")


def trim_log(log: str) -> str:
    """The part of a build or run log a model needs: lines around the first errors, at most ~30 lines."""
    lines = [line.rstrip() for line in log.splitlines() if line.strip()]
    hits = [i for i, line in enumerate(lines) if _ERROR_LINE.search(line)]
    if hits:
        keep: list[int] = []
        for i in hits:
            keep.extend(j for j in range(max(0, i - 2), min(len(lines), i + 3)) if j not in keep)
            if len(keep) >= MAX_LOG_LINES:
                break
        lines = [lines[i] for i in sorted(keep)[:MAX_LOG_LINES]]
    else:
        lines = lines[-MAX_LOG_LINES:]
    text = "\n".join(lines)
    return text if len(text) <= MAX_LOG_CHARS else text[:MAX_LOG_CHARS] + "\n[... trimmed]"


def _kind(result: EvalResult) -> str:
    if result.status is Status.correct:
        return "correct" if result.speedup is not None and result.speedup_ci is not None else "correct_untimed"
    return {Status.build_error: "build_error", Status.incorrect: "incorrect", Status.rejected: "rejected",
            Status.unstable: "unstable"}.get(result.status, "runtime_error")


def feedback_for(result: EvalResult, task: Task) -> str:
    """Feedback text for the model from one evaluation."""
    return render("feedback.md.j2", kind=_kind(result), result=result, task=task, stats=result.correctness,
                  log=trim_log(result.log) if result.log else "").strip()


def no_code_feedback() -> str:
    """Feedback for a reply that held no code block defining ModelNew."""
    return render("feedback.md.j2", kind="no_code").strip()
