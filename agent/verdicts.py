"""Judge a reply and record it: the one way optimize, bench, GRPO rollouts and `eval` turn a kernel into a stored
verdict.

`Verdicts` (one per run) extracts the candidate from a reply, serves a stored verdict the request may reuse (same
task version, normalized hash, platform and allow_torch, and a verdict made the same way: harness version, jail,
tolerance; `db.provenance.VerdictKey`), lets identical requests in flight share one evaluation, asks the
evaluator it was given (the Ray pool, or any object with the same `evaluate`), and records candidate, evaluation,
hardware and node, linking the turn that asked. `VerdictRecorder` is the recording half on its own, for a verdict
judged elsewhere (`kernelwright eval` judges in its own process; a re-score judges on purpose again).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from kernelwright.agent.extract import extract_candidate
from kernelwright.db import Store
from kernelwright.db.enums import TurnOutcome
from kernelwright.db.provenance import VerdictKey
from kernelwright.evaluator import EvalOptions, EvalResult
from kernelwright.evaluator.hashing import normalized_hash
from kernelwright.evaluator.platforms.base import HardwareInfo
from kernelwright.tasks.model import Task

if TYPE_CHECKING:  # agent.evaluators imports Ray, which `kernelwright eval` recording a local verdict never needs
    from kernelwright.agent.evaluators.pool import Judged


@dataclass(frozen=True)
class Verdict:
    """A judged candidate as stored: its verdict, the candidate and evaluation rows, and whether it was judged
    for this request (`evaluated`) or served from the store or an identical evaluation in flight (`cached`)."""

    result: EvalResult
    candidate_id: int
    evaluation_id: int
    outcome: TurnOutcome


class Evaluates(Protocol):
    """What judges a candidate and says where: `agent.evaluators.EvaluatorPool`, or a stand-in with the same call."""

    async def evaluate(self, task: Task, source: str, options: EvalOptions) -> Judged:
        """The verdict on `source` for `task` under `options`, and the evaluator's site."""
        ...


class VerdictRecorder:
    """Writes verdicts of `platform` to the store with the hardware and node they were reached on."""

    def __init__(self, store: Store, platform: str) -> None:
        self.store, self.platform = store, platform
        # Store ids of the hardware seen so far, by fingerprint: each is upserted once.
        self._hardware_ids: dict[str, int] = {}

    def hardware_id(self, hardware: HardwareInfo) -> int:
        """The store id of `hardware`, upserted the first time this recorder sees it."""
        if hardware.fingerprint not in self._hardware_ids:
            self._hardware_ids[hardware.fingerprint] = self.store.upsert_hardware(
                hardware.fingerprint, self.platform, hardware.description, hardware.details)
        return self._hardware_ids[hardware.fingerprint]

    def record(self, task: Task, source: str, result: EvalResult, hardware: HardwareInfo, *,
               node_id: str | None = None, node_address: str | None = None, parent_id: int | None = None,
               turn_id: int | None = None) -> Verdict:
        """Store `result` for candidate `source` (lineage `parent_id`, produced by turn `turn_id`), reached on
        `hardware` by the evaluator on Ray node `node_id` at `node_address` (None: in this process, on no node)."""
        evaluation_id = self.store.record_evaluation(
            task, source, result, hardware_id=self.hardware_id(hardware), parent_id=parent_id, turn_id=turn_id,
            node_id=node_id, node_address=node_address)
        row = self.store.get_evaluation(evaluation_id)
        if row is None:
            raise LookupError(f"evaluation {evaluation_id} vanished from the store right after it was recorded")
        return Verdict(result, row.candidate_id, evaluation_id, TurnOutcome.evaluated)


class Verdicts:
    """The verdicts of one run: each candidate judged once under the run's `options`, and every one recorded.

    Shared by all the run's searches (or rollouts), so that two of them producing the same kernel at once share
    one evaluation.
    """

    def __init__(self, recorder: VerdictRecorder, evaluator: Evaluates, options: EvalOptions) -> None:
        self.recorder, self.evaluator, self.options = recorder, evaluator, options
        self.key = VerdictKey.of_options(options)
        # Evaluations running now, by (task version, normalized hash): an identical request awaits the same one.
        self._inflight: dict[tuple[str, str], asyncio.Task[Verdict]] = {}

    @property
    def store(self) -> Store:
        """The store the verdicts are recorded in."""
        return self.recorder.store

    def stored(self, task: Task, source: str) -> Verdict | None:
        """A stored verdict on `source` this run may reuse (made as this run's would be), or None."""
        row = self.store.find_evaluation_row(task.source_hash, normalized_hash(source), self.recorder.platform,
                                             self.key, self.options.allow_torch)
        return None if row is None else Verdict(row.result, row.candidate_id, row.id, TurnOutcome.cached)

    async def judge(self, task: Task, source: str, *, parent_id: int | None = None, turn_id: int | None = None,
                    on_evaluating: Callable[[], None] | None = None) -> Verdict:
        """The verdict on candidate `source`: a stored one if reusable, else the evaluator's, recorded (with
        lineage `parent_id` and turn `turn_id`). `on_evaluating` is called when no stored verdict answers."""
        cached = self.stored(task, source)
        if cached is not None:
            return cached
        if on_evaluating is not None:
            on_evaluating()
        key = (task.source_hash, normalized_hash(source))
        job = self._inflight.get(key)
        if job is not None:
            # Shielded: a waiter that is cancelled (its trajectory stopped) must not cancel the others' evaluation.
            shared = await asyncio.shield(job)
            return Verdict(shared.result, shared.candidate_id, shared.evaluation_id, TurnOutcome.cached)
        job = asyncio.create_task(self._evaluate(task, source, parent_id, turn_id))
        self._inflight[key] = job
        # Once stored, the store answers (and re-runs what it must not serve, e.g. an unstable timing).
        job.add_done_callback(lambda _job: self._inflight.pop(key, None))
        return await asyncio.shield(job)

    async def judge_reply(self, task: Task, reply: str, *, turn_id: int | None = None, parent_id: int | None = None,
                          on_evaluating: Callable[[], None] | None = None) -> Verdict | None:
        """Judge the candidate in a model's `reply` (None: it held no code); with `turn_id`, the stored turn is
        linked to what came of it (its outcome, candidate and evaluation)."""
        source = extract_candidate(reply)
        if source is None:
            if turn_id is not None:
                self.store.set_turn_outcome(turn_id, TurnOutcome.no_code)
            return None
        verdict = await self.judge(task, source, parent_id=parent_id, turn_id=turn_id, on_evaluating=on_evaluating)
        if turn_id is not None:
            self.store.set_turn_outcome(turn_id, verdict.outcome, candidate_id=verdict.candidate_id,
                                        evaluation_id=verdict.evaluation_id)
        return verdict

    async def _evaluate(self, task: Task, source: str, parent_id: int | None, turn_id: int | None) -> Verdict:
        judged = await self.evaluator.evaluate(task, source, self.options)
        site = judged.site
        return self.recorder.record(task, source, judged.result, site.hardware, node_id=site.node_id,
                                    node_address=site.node_address, parent_id=parent_id, turn_id=turn_id)
