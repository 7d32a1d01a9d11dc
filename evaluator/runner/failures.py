"""How the runner turns what went wrong into a `Failure` it reports (never a verdict: the judge decides)."""

from __future__ import annotations

import traceback
from pathlib import Path

from kernelwright.evaluator.result import Reason, Status


class RunnerFailure(Exception):
    """Ends the current command with a failure report."""

    def __init__(self, status: Status, reason: Reason, message: str, log: str = "") -> None:
        super().__init__(message)
        self.status, self.reason, self.message, self.log = status, reason, message, log


def code_frame(exc: BaseException, marker: str = "candidate") -> str:
    """`Type: message (candidate line N: code)`, naming the last frame in the untrusted module."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if marker in Path(f.filename).name]
    where = f" ({marker} line {frames[-1].lineno}: {frames[-1].line})" if frames else ""
    return f"{type(exc).__name__}: {str(exc).strip()[:600]}{where}"


def is_oom(exc: BaseException) -> bool:
    return isinstance(exc, MemoryError) or "can't allocate memory" in str(exc) or "not enough memory" in str(exc)
