"""The driver of `kernelwright optimize`: trajectories x turns over an LLM and Ray evaluators, all stored.

Only this process writes to the store. Each turn: build the prompt (task, same-category example, hardware,
contrastive exemplars from the store, last verdict), ask the model, extract the candidate, serve the verdict
from the evaluation cache or from an evaluator actor, record it, and turn it into the next prompt's feedback.
A resumed run replays its stored turns to rebuild each trajectory's state and never re-runs a stored
evaluation (cache key: task version, candidate hash, platform, harness version, allow_torch).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from enum import Enum

from pydantic import BaseModel, Field

from agent.cluster import Cluster
from agent.exemplars import Exemplar, sample_exemplars, speedup_bucket
from agent.extract import extract_candidate
from agent.prompts import PromptBuilder, PromptInputs, feedback_for, no_code_feedback, template_version
from agent.prompts.builder import same_category_example
from agent.providers import ChatMessage, CompletionContext, Provider, ProviderConfig, ProviderError
from agent.search import SearchConfig, TrajectoryState
from agent.summary import RunSummary, summarize_run
from db import Store
from db.models import RunKind, RunStatus, TurnOutcome
from evaluator import EvalOptions, EvalResult
from evaluator.api import default_threads
from evaluator.hashing import normalized_hash
from evaluator.platforms.base import HardwareInfo, Peaks
from evaluator.result import HARNESS_VERSION
from tasks.loader import load_task_source
from tasks.model import Task


class OptimizeConfig(BaseModel):
    """Everything a run needs to be repeated or resumed; stored with the run."""

    task_source: str
    task_origin: str
    task_id: str | None = None
    platform: str = "cpu"
    provider: ProviderConfig = Field(default_factory=ProviderConfig)
    search: SearchConfig = Field(default_factory=SearchConfig)
    eval: EvalOptions = Field(default_factory=EvalOptions)


class EventKind(str, Enum):
    run_started = "run_started"
    phase = "phase"
    turn_done = "turn_done"
    trajectory_done = "trajectory_done"


class Event(BaseModel):
    """Progress for the live view."""

    kind: EventKind
    run_id: str
    trajectory: int | None = None
    turn: int | None = None
    phase: str = ""
    outcome: TurnOutcome | None = None
    result: EvalResult | None = None
    improved: bool = False
    message: str = ""


EventSink = Callable[[Event], None]


def load_config_task(config: OptimizeConfig) -> Task:
    """The task a config names, loaded (and probed) from the source stored in it."""
    return load_task_source(config.task_source, config.task_origin, task_id=config.task_id)


class Optimizer:
    """Runs (or resumes) one optimize run. Call `run()` once."""

    def __init__(self, store: Store, provider: Provider, cluster: Cluster, config: OptimizeConfig,
                 task: Task, on_event: EventSink | None = None, resume_run_id: str | None = None) -> None:
        self.store, self.provider, self.cluster, self.config = store, provider, cluster, config
        self.task = task
        self.on_event = on_event or (lambda _event: None)
        self.run_id = resume_run_id or ""
        self.resuming = resume_run_id is not None
        self.builder = PromptBuilder()
        self.hardware: HardwareInfo | None = None
        self.peaks: Peaks | None = None
        self.hardware_id: int | None = None
        self.example = same_category_example(task, config.platform)
        self._inflight: dict[str, asyncio.Task[tuple[int, int, EvalResult]]] = {}

    # --- the run ------------------------------------------------------------------------------------

    def run(self) -> RunSummary:
        """Search until every trajectory stops; Ctrl-C marks the run interrupted (resumable) and re-raises."""
        self.store.upsert_task(self.task)
        if self.resuming:
            self.store.reopen_run(self.run_id)
        else:
            self.run_id = self.store.create_run(RunKind.optimize, self._run_config())
        states: list[TrajectoryState] = []
        try:
            asyncio.run(self._main(states))
        except KeyboardInterrupt:
            self._close(states, RunStatus.interrupted)
            raise
        except BaseException:
            self._close(states, RunStatus.failed)
            raise
        self._close(states, RunStatus.finished)
        return summarize_run(self.store, self.run_id)

    def _run_config(self) -> dict[str, object]:
        return {"optimize": self.config.model_dump(mode="json"), "task_id": self.task.id,
                "provider_label": self.provider.label, "offline_provider": self.provider.offline,
                "prompt_template_version": template_version(), "harness_version": HARNESS_VERSION}

    def _close(self, states: list[TrajectoryState], status: RunStatus) -> None:
        # Trajectories that stopped on their own are already closed; the rest share the run's fate.
        for state in states:
            if not state.done:
                self.store.finish_trajectory(state.db_id, status, state.stop_reason)
        self.store.finish_run(self.run_id, status)

    async def _main(self, states: list[TrajectoryState]) -> None:
        try:
            self.hardware, self.peaks = await self.cluster.hardware()
            self.hardware_id = self.store.upsert_hardware(self.hardware.fingerprint, self.config.platform,
                                                          self.hardware.description, self.hardware.details)
            states.extend(self._trajectories())
            self.on_event(Event(kind=EventKind.run_started, run_id=self.run_id,
                                message=f"{len(states)} trajectories x {self.config.search.turns} turns"))
            await asyncio.gather(*(self._trajectory(s) for s in states if not s.done))
        finally:
            await self.provider.close()

    # --- trajectories ---------------------------------------------------------------------------------

    def _trajectories(self) -> list[TrajectoryState]:
        existing = {t.index: t for t in self.store.trajectories_for_run(self.run_id)} if self.resuming else {}
        states = []
        for index in range(self.config.search.trajectories):
            row = existing.get(index)
            if row is None:
                states.append(TrajectoryState(index=index, db_id=self.store.add_trajectory(self.run_id, self.task.id,
                                                                                            index)))
                continue
            state = TrajectoryState(index=index, db_id=row.id)
            self._replay(state)
            if row.status is RunStatus.finished:
                state.stop_reason = row.stop_reason or state.stop_reason or "finished"
            states.append(state)
        return states

    def _replay(self, state: TrajectoryState) -> None:
        """Rebuild a stored trajectory's counters and feedback; a turn cut off before its verdict is re-judged
        when the trajectory continues (from the cache if its evaluation was stored)."""
        for turn in self.store.turns_for_trajectory(state.db_id):
            if turn.outcome is None:
                state.pending_turn_id = turn.id
                continue
            result = None
            if turn.evaluation_id is not None:
                row = self.store.get_evaluation(turn.evaluation_id)
                result = row.result if row is not None else None
            state.observe(result, self.config.search)
            if result is not None:
                state.feedback = feedback_for(result, self.task)
                state.parent_candidate_id = turn.candidate_id
            elif turn.outcome is TurnOutcome.no_code:
                state.feedback = no_code_feedback()

    async def _trajectory(self, state: TrajectoryState) -> None:
        while not state.done:
            await self._turn(state)
        self.store.finish_trajectory(state.db_id, RunStatus.finished, state.stop_reason)
        self.on_event(Event(kind=EventKind.trajectory_done, run_id=self.run_id, trajectory=state.index,
                            message=state.stop_reason or ""))

    async def _turn(self, state: TrajectoryState) -> None:
        turn = state.turns_done
        if state.pending_turn_id is not None:
            # Resume: this turn's reply is stored; only its verdict is missing.
            pending, state.pending_turn_id = state.pending_turn_id, None
            stored = next(t for t in self.store.turns_for_trajectory(state.db_id) if t.id == pending)
            await self._judge(state, turn, pending, stored.reply)
            return
        messages = self._messages(state, turn)
        self._phase(state, turn, "asking the model")
        context = CompletionContext(task=self.task, platform=self.config.platform, trajectory=state.index, turn=turn)
        prompt = json.dumps([m.model_dump() for m in messages])
        try:
            completion = await self.provider.complete(messages, context)
        except ProviderError as exc:
            if exc.fatal:
                raise
            self.store.add_turn(state.db_id, turn, prompt, "", model=self.provider.config.model,
                                outcome=TurnOutcome.llm_error)
            state.observe(None, self.config.search)
            self._done(state, turn, TurnOutcome.llm_error, None, False, str(exc))
            return
        turn_id = self.store.add_turn(
            state.db_id, turn, prompt, completion.text, model=completion.model, reasoning=completion.reasoning,
            prompt_tokens=completion.prompt_tokens, completion_tokens=completion.completion_tokens,
            latency_s=completion.latency_s, cost_usd=completion.cost_usd)
        await self._judge(state, turn, turn_id, completion.text)

    async def _judge(self, state: TrajectoryState, turn: int, turn_id: int, reply: str) -> None:
        source = extract_candidate(reply)
        if source is None:
            self.store.set_turn_outcome(turn_id, TurnOutcome.no_code)
            state.observe(None, self.config.search)
            state.feedback = no_code_feedback()
            self._done(state, turn, TurnOutcome.no_code, None, False, "the reply had no ModelNew code block")
            return
        digest = normalized_hash(source)
        cached = self.store.find_evaluation_row(self.task.source_hash, digest, self.config.platform,
                                                HARNESS_VERSION, self.config.eval.allow_torch)
        if cached is not None:
            outcome, candidate_id, evaluation_id, result = (TurnOutcome.cached, cached.candidate_id, cached.id,
                                                            cached.result)
        else:
            self._phase(state, turn, "evaluating")
            # Two trajectories that produce the same kernel at once share one evaluation.
            job = self._inflight.get(digest)
            outcome = TurnOutcome.cached if job is not None else TurnOutcome.evaluated
            if job is None:
                job = asyncio.create_task(self._evaluate(source, state.parent_candidate_id, turn_id))
                self._inflight[digest] = job
            candidate_id, evaluation_id, result = await job
        self.store.set_turn_outcome(turn_id, outcome, candidate_id=candidate_id, evaluation_id=evaluation_id)
        improved = state.observe(result, self.config.search)
        state.feedback = feedback_for(result, self.task)
        state.parent_candidate_id = candidate_id
        self._done(state, turn, outcome, result, improved, result.message)

    async def _evaluate(self, source: str, parent_id: int | None, turn_id: int) -> tuple[int, int, EvalResult]:
        result = await self.cluster.evaluate(self.task, source, self.config.eval)
        evaluation_id = self.store.record_evaluation(self.task, source, result, hardware_id=self.hardware_id,
                                                     parent_id=parent_id, turn_id=turn_id)
        row = self.store.get_evaluation(evaluation_id)
        assert row is not None
        return row.candidate_id, evaluation_id, result

    # --- prompts and events ---------------------------------------------------------------------------

    def _messages(self, state: TrajectoryState, turn: int) -> list[ChatMessage]:
        rng = random.Random(self.config.search.seed * 1_000_003 + state.index * 1009 + turn)
        scored = self.store.scored_candidates(self.task.source_hash, self.config.platform, HARNESS_VERSION,
                                              self.config.eval.allow_torch)
        pool = [Exemplar(source=c.source, speedup=r.speedup or 0.0, ci_low=(r.speedup_ci or (0.0, 0.0))[0],
                         ci_high=(r.speedup_ci or (0.0, 0.0))[1], bucket=speedup_bucket(r.speedup or 0.0))
                for c, r in scored]
        exemplars = sample_exemplars(pool, rng, k=self.config.search.exemplars)
        opts = self.config.eval
        inputs = PromptInputs(task=self.task, platform=self.config.platform, hardware=self.hardware,
                              peaks=self.peaks, threads=opts.threads or default_threads(), allow_torch=opts.allow_torch,
                              example=self.example, exemplars=exemplars, feedback=state.feedback)
        return self.builder.build(inputs)

    def _phase(self, state: TrajectoryState, turn: int, phase: str) -> None:
        self.on_event(Event(kind=EventKind.phase, run_id=self.run_id, trajectory=state.index, turn=turn, phase=phase))

    def _done(self, state: TrajectoryState, turn: int, outcome: TurnOutcome, result: EvalResult | None,
              improved: bool, message: str) -> None:
        self.on_event(Event(kind=EventKind.turn_done, run_id=self.run_id, trajectory=state.index, turn=turn,
                            outcome=outcome, result=result, improved=improved, message=message))
