"""What a static rule that fires returns."""

from __future__ import annotations

from dataclasses import dataclass

from kernelwright.evaluator.result import Reason


@dataclass(frozen=True)
class Finding:
    """A rule that fired: its reason code and a message that says what to change."""

    reason: Reason
    message: str
