"""What every task search of one run shares (`SearchContext`), and the progress events it sends the live views.

Apart from `task_search.py` so that a strategy can name what it is given (`strategies/base.py`) without importing
the search that runs it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from pydantic import BaseModel

from kernelwright.agent.evaluators import EvaluatorPool
from kernelwright.agent.providers import Provider
from kernelwright.agent.search import SearchConfig, SearchProgress
from kernelwright.agent.verdicts import VerdictRecorder, Verdicts
from kernelwright.db import Store
from kernelwright.db.enums import TurnOutcome
from kernelwright.evaluator import EvalOptions, EvalResult
from kernelwright.evaluator.platforms.base import HardwareInfo, Peaks


class EventKind(str, Enum):
    run_started = "run_started"
    phase = "phase"
    turn_done = "turn_done"
    trajectory_done = "trajectory_done"
    baseline_done = "baseline_done"
    search_started = "search_started"
    search_done = "search_done"


class Event(BaseModel):
    """Progress for the live views."""

    kind: EventKind
    run_id: str
    task_id: str | None = None
    trajectory: int | None = None
    turn: int | None = None
    phase: str = ""
    outcome: TurnOutcome | None = None
    result: EvalResult | None = None
    improved: bool = False
    message: str = ""
    baselines: int = 0  # run_started of a bench run: how many tasks still need their baselines measured
    progress: SearchProgress | None = None  # the task's calls spent of its budget (turn, worker and search events)


EventSink = Callable[[Event], None]


@dataclass
class SearchContext:
    """What every task search of one run shares: the store, the model, the evaluators and the machine."""

    store: Store
    provider: Provider
    cluster: EvaluatorPool
    run_id: str
    platform: str
    search: SearchConfig
    eval: EvalOptions
    on_event: EventSink
    hardware: HardwareInfo | None = None
    peaks: Peaks | None = None
    # Bounds how many trajectories run at once (bench); None: no bound.
    limiter: asyncio.Semaphore | None = None
    # Exemplars only from this run's own kernels (bench: a model must not be shown another run's answers);
    # False: from every run on the task (optimize builds on all history).
    own_exemplars: bool = False
    # Records verdicts with their hardware and node; None: a new one (bench brings its own, which already
    # knows every node's hardware).
    recorder: VerdictRecorder | None = None
    # Judges and records every candidate of the run: cache, in-flight sharing, hardware and node.
    verdicts: Verdicts = field(init=False)

    def __post_init__(self) -> None:
        recorder = self.recorder or VerdictRecorder(self.store, self.platform)
        self.verdicts = Verdicts(recorder, self.cluster, self.eval)
