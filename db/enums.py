"""The store's domain enums: what a run is, where it stands, what came of a turn, what a baseline times.

They are plain `str` enums, used by the ORM (`db.models`), the records (`db.rows`) and every caller alike.
"""

from __future__ import annotations

import enum


class RunKind(str, enum.Enum):
    """What a run was started for."""

    eval = "eval"
    optimize = "optimize"
    bench = "bench"
    train = "train"


class RunStatus(str, enum.Enum):
    """Lifecycle of a run or of one trajectory inside it."""

    running = "running"
    finished = "finished"
    failed = "failed"
    interrupted = "interrupted"


class TurnOutcome(str, enum.Enum):
    """What came of one LLM call in a trajectory."""

    evaluated = "evaluated"  # its kernel was judged by the evaluator in this turn
    cached = "cached"  # its kernel had been judged before (same task version, platform, harness)
    no_code = "no_code"  # the reply held no code block defining ModelNew
    llm_error = "llm_error"  # the provider failed after its retries


class BaselineKind(str, enum.Enum):
    """Which PyTorch reference a baseline timing (and a speedup) is measured against."""

    eager = "eager"
    compile = "compile"
