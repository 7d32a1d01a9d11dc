"""One task's search inside a run: N trajectories x T turns over an LLM and Ray evaluators, all stored.

Shared by `optimize` (one task per run) and `bench` (many tasks per run). Each turn: build the prompt (task,
same-category example, hardware, contrastive exemplars from the store, last verdict), ask the model, extract the
candidate, serve the verdict from the evaluation cache or from an evaluator actor, record it, and turn it into the
next prompt's feedback. A resumed run replays its stored turns to rebuild each trajectory's state and never
re-runs a stored evaluation (cache key: task version, candidate hash, platform, harness version, allow_torch).
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import threading
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from pydantic import BaseModel

from agent.evaluators import EvaluatorPool
from agent.exemplars import exemplar_pool, sample_exemplars
from agent.prompts import PromptBuilder, PromptInputs, feedback_for, no_code_feedback
from agent.prompts.builder import same_category_example
from agent.providers import ChatMessage, CompletionContext, Provider, ProviderError
from agent.search import SearchConfig, TrajectoryState
from agent.starting import StartingKernel
from agent.verdicts import VerdictRecorder, Verdicts
from db import Store
from db.enums import RunStatus, TurnOutcome
from evaluator import EvalOptions, EvalResult
from evaluator.api import default_threads
from evaluator.platforms.base import HardwareInfo, Peaks
from tasks.model import Task


class EventKind(str, Enum):
    run_started = "run_started"
    phase = "phase"
    turn_done = "turn_done"
    trajectory_done = "trajectory_done"
    baseline_done = "baseline_done"


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


# After Ctrl-C the run's task is cancelled again this often until it ends (see `_interruptible`).
RECANCEL_S = 0.5
RECANCEL_ROUNDS = 20
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


async def run_and_close_async(main: Callable[[], Coroutine[Any, Any, None]],
                              close: Callable[[RunStatus], None]) -> None:
    """`run_and_close` inside a running event loop: a cancelled run (a server shutting down) ends interrupted."""
    try:
        await main()
    except asyncio.CancelledError:
        close(RunStatus.interrupted)
        raise
    except BaseException:
        close(RunStatus.failed)
        raise
    close(RunStatus.finished)


async def _interruptible(main: Callable[[], Coroutine[Any, Any, None]]) -> bool:
    """Run `main`; Ctrl-C cancels it, and again every `RECANCEL_S` until it ends, since a library can swallow one
    cancellation (an HTTP client cancelled mid-request was seen to retry and let the run go on). Returns whether
    Ctrl-C stopped it (a run that finished first did finish); a second Ctrl-C raises `KeyboardInterrupt` at once."""
    loop = asyncio.get_running_loop()
    # A task of its own, so that a cancellation it lets through ends it and never this coroutine's own task.
    task = asyncio.ensure_future(main())
    interrupted = False

    def cancel_until_done() -> None:
        if not task.done():
            task.cancel()
            loop.call_later(RECANCEL_S, cancel_until_done)

    def on_sigint() -> None:
        nonlocal interrupted
        if interrupted:
            raise KeyboardInterrupt
        interrupted = True
        cancel_until_done()

    # Signal handlers can only be set from the main thread; elsewhere Ctrl-C is not ours to catch.
    own_signal = threading.current_thread() is threading.main_thread()
    if own_signal:
        loop.add_signal_handler(signal.SIGINT, on_sigint)
    try:
        await task
    except (asyncio.CancelledError, Exception):
        # After Ctrl-C, whatever the cancellation turned into inside the run (an HTTP client's connection error,
        # say) is the stop the user asked for.
        if not interrupted:
            raise
        await _cancel_the_rest()
        return True
    finally:
        if own_signal:
            loop.remove_signal_handler(signal.SIGINT)
    return False


async def _cancel_the_rest() -> None:
    """Cancel the run's other tasks (evaluations in flight, abandoned requests) until they end, for at most
    `RECANCEL_ROUNDS` rounds: `asyncio.run` cancels what is left only once and then waits for it for ever."""
    for _ in range(RECANCEL_ROUNDS):
        rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
        if not rest:
            return
        for other in rest:
            other.cancel()
        await asyncio.wait(rest, timeout=RECANCEL_S)


def run_and_close(main: Callable[[], Coroutine[Any, Any, None]], close: Callable[[RunStatus], None]) -> None:
    """Run a driver's event loop; the run then ends finished, interrupted (Ctrl-C, resumable) or failed."""
    try:
        if asyncio.run(_interruptible(main)):
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        close(RunStatus.interrupted)
        raise
    except BaseException:
        close(RunStatus.failed)
        raise
    close(RunStatus.finished)


class TaskSearch:
    """The trajectories of one task in a run. `prepare()` (creates or replays them), then `await run()`.

    `start`: a kernel every prompt shows as the starting point (a port from another platform, or one to improve).
    """

    def __init__(self, ctx: SearchContext, task: Task, resuming: bool, start: StartingKernel | None = None) -> None:
        self.ctx, self.task, self.resuming, self.start = ctx, task, resuming, start
        self.builder = PromptBuilder()
        self.example = same_category_example(task, ctx.platform)
        self.states: list[TrajectoryState] = []

    def prepare(self) -> list[TrajectoryState]:
        """Create this task's trajectories, or rebuild stored ones by replaying their turns."""
        ctx = self.ctx
        existing = ({t.index: t for t in ctx.store.trajectories_for_run(ctx.run_id) if t.task_id == self.task.id}
                    if self.resuming else {})
        for index in range(ctx.search.trajectories):
            row = existing.get(index)
            if row is None:
                db_id = ctx.store.add_trajectory(ctx.run_id, self.task.id, index)
                self.states.append(TrajectoryState(index=index, db_id=db_id))
                continue
            state = TrajectoryState(index=index, db_id=row.id)
            self._replay(state)
            if row.status is RunStatus.finished:
                state.stop_reason = row.stop_reason or state.stop_reason or "finished"
            elif state.done:
                # Killed between its last verdict and closing it: the replay shows it had stopped.
                ctx.store.finish_trajectory(row.id, RunStatus.finished, state.stop_reason)
            self.states.append(state)
        return self.states

    def close(self, status: RunStatus) -> None:
        """Trajectories that stopped on their own are already closed; the rest share the run's fate."""
        for state in self.states:
            if not state.done:
                self.ctx.store.finish_trajectory(state.db_id, status, state.stop_reason)

    async def run(self) -> None:
        """Run every unfinished trajectory to its stop."""
        await asyncio.gather(*(self._trajectory(s) for s in self.states if not s.done))

    # --- trajectories ---------------------------------------------------------------------------------

    def _replay(self, state: TrajectoryState) -> None:
        """Rebuild a stored trajectory's counters and feedback; a turn cut off before its verdict is re-judged
        when the trajectory continues (from the cache if its evaluation was stored)."""
        store, search = self.ctx.store, self.ctx.search
        for turn in store.turns_for_trajectory(state.db_id):
            if turn.outcome is None:
                state.pending_turn_id = turn.id
                continue
            result = None
            if turn.evaluation_id is not None:
                row = store.get_evaluation(turn.evaluation_id)
                result = row.result if row is not None else None
            state.observe(result, search)
            if result is not None:
                state.feedback = feedback_for(result, self.task)
                state.parent_candidate_id = turn.candidate_id
            elif turn.outcome is TurnOutcome.no_code:
                state.feedback = no_code_feedback()

    async def _trajectory(self, state: TrajectoryState) -> None:
        # A provider that cannot answer this task (no shipped example to replay) is not asked turn after turn.
        state.stop_reason = state.stop_reason or self.ctx.provider.cannot_answer(self.task, self.ctx.platform)
        limiter: AbstractAsyncContextManager[object] = self.ctx.limiter or nullcontext()
        async with limiter:
            while not state.done:
                await self._turn(state)
        self.ctx.store.finish_trajectory(state.db_id, RunStatus.finished, state.stop_reason)
        self._event(EventKind.trajectory_done, state, state.turns_done, message=state.stop_reason or "")

    async def _turn(self, state: TrajectoryState) -> None:
        ctx, turn = self.ctx, state.turns_done
        if state.pending_turn_id is not None:
            # Resume: this turn's reply is stored; only its verdict is missing.
            pending, state.pending_turn_id = state.pending_turn_id, None
            stored = next(t for t in ctx.store.turns_for_trajectory(state.db_id) if t.id == pending)
            await self._judge(state, turn, pending, stored.reply)
            return
        messages = self._messages(state, turn)
        self._event(EventKind.phase, state, turn, phase="asking the model")
        context = CompletionContext(task=self.task, platform=ctx.platform, trajectory=state.index, turn=turn)
        prompt = json.dumps([m.model_dump() for m in messages])
        try:
            completion = await ctx.provider.complete(messages, context)
        except ProviderError as exc:
            if exc.fatal:
                raise
            ctx.store.add_turn(state.db_id, turn, prompt, "", model=ctx.provider.config.model,
                               outcome=TurnOutcome.llm_error)
            state.observe(None, ctx.search)
            self._event(EventKind.turn_done, state, turn, outcome=TurnOutcome.llm_error, message=str(exc))
            return
        turn_id = ctx.store.add_turn(
            state.db_id, turn, prompt, completion.text, model=completion.model, reasoning=completion.reasoning,
            prompt_tokens=completion.prompt_tokens, completion_tokens=completion.completion_tokens,
            latency_s=completion.latency_s, cost_usd=completion.cost_usd)
        await self._judge(state, turn, turn_id, completion.text)

    async def _judge(self, state: TrajectoryState, turn: int, turn_id: int, reply: str) -> None:
        ctx = self.ctx
        verdict = await ctx.verdicts.judge_reply(
            self.task, reply, turn_id=turn_id, parent_id=state.parent_candidate_id,
            on_evaluating=lambda: self._event(EventKind.phase, state, turn, phase="evaluating"))
        if verdict is None:
            state.observe(None, ctx.search)
            state.feedback = no_code_feedback()
            self._event(EventKind.turn_done, state, turn, outcome=TurnOutcome.no_code,
                        message="the reply had no ModelNew code block")
            return
        result = verdict.result
        improved = state.observe(result, ctx.search)
        state.feedback = feedback_for(result, self.task)
        state.parent_candidate_id = verdict.candidate_id
        self._event(EventKind.turn_done, state, turn, outcome=verdict.outcome, result=result, improved=improved,
                    message=result.message)

    # --- prompts and events ---------------------------------------------------------------------------

    def _messages(self, state: TrajectoryState, turn: int) -> list[ChatMessage]:
        ctx = self.ctx
        rng = random.Random(ctx.search.seed * 1_000_003 + state.index * 1009 + turn)
        pool = exemplar_pool(ctx.store, self.task.source_hash, ctx.platform, ctx.eval,
                             run_id=ctx.run_id if ctx.own_exemplars else None)
        exemplars = sample_exemplars(pool, rng, k=ctx.search.exemplars)
        opts = ctx.eval
        inputs = PromptInputs(task=self.task, platform=ctx.platform, hardware=ctx.hardware, peaks=ctx.peaks,
                              threads=opts.threads or default_threads(), allow_torch=opts.allow_torch,
                              example=self.example, exemplars=exemplars, feedback=state.feedback,
                              start=self.start)
        return self.builder.build(inputs)

    def _event(self, kind: EventKind, state: TrajectoryState, turn: int | None = None, **fields: object) -> None:
        self.ctx.on_event(Event(kind=kind, run_id=self.ctx.run_id, task_id=self.task.id, trajectory=state.index,
                                turn=turn, **fields))
