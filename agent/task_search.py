"""One task's search inside a run: a strategy's model calls over an LLM and Ray evaluators, all stored.

Shared by `optimize` (one task per run) and `bench` (many tasks per run). The strategy (`agent.strategies`,
`search.strategy`) decides which prompt each call gets: which worker, which feedback, which parent kernels. Each
turn: build the prompt (task, same-category example, hardware, contrastive exemplars from the store, the feedback
and parents the strategy chose), ask the model, extract the candidate, serve the verdict from the evaluation cache
or from an evaluator actor, record it, and turn it into feedback. A resumed run replays its stored turns (the
strategy's way) and never re-runs a stored evaluation (cache key: task version, candidate hash, platform, harness
version, allow_torch).
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import threading
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from kernelwright.agent.exemplars import exemplar_pool, sample_exemplars
from kernelwright.agent.prompts import ParentKernel, PromptBuilder, PromptInputs, feedback_for, no_code_feedback
from kernelwright.agent.prompts.builder import same_category_example
from kernelwright.agent.providers import ChatMessage, CompletionContext, ProviderError
from kernelwright.agent.search import SearchProgress, TrajectoryState
from kernelwright.agent.search_context import Event, EventKind, SearchContext
from kernelwright.agent.starting import StartingKernel
from kernelwright.agent.strategies.base import SearchStrategy, strategy_class
from kernelwright.db.enums import RunStatus, TurnOutcome
from kernelwright.evaluator import EvalResult
from kernelwright.evaluator.api import default_threads
from kernelwright.tasks.model import Task

# After Ctrl-C the run's task is cancelled again this often until it ends (see `_interruptible`).
RECANCEL_S = 0.5
RECANCEL_ROUNDS = 20


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
    """One task's search in a run, by its strategy: `prepare()` (creates or replays its workers), then
    `await run()`.

    `start`: a kernel every prompt shows as the starting point (a port from another platform, or one to improve).
    """

    def __init__(self, ctx: SearchContext, task: Task, resuming: bool, start: StartingKernel | None = None) -> None:
        self.ctx, self.task, self.resuming, self.start = ctx, task, resuming, start
        self.builder = PromptBuilder()
        self.example = same_category_example(task, ctx.platform)
        self.states: list[TrajectoryState] = []
        self.strategy: SearchStrategy = strategy_class(ctx.search.strategy)(self)

    def prepare(self) -> list[TrajectoryState]:
        """Create this task's workers, or rebuild stored ones (a resumed run) the strategy's way."""
        self.states = self.strategy.prepare()
        return self.states

    def progress(self) -> SearchProgress:
        """Model calls spent of this task's budget."""
        return self.strategy.progress()

    def close(self, status: RunStatus) -> None:
        """Workers that stopped on their own are already closed; the rest share the run's fate."""
        self.strategy.close(status)

    async def run(self) -> None:
        """Spend the rest of the budget with the strategy; says where the search starts (a resumed one: what the
        replay counted) and that it is done."""
        self.ctx.on_event(Event(kind=EventKind.search_started, run_id=self.ctx.run_id, task_id=self.task.id,
                                progress=self.progress()))
        await self.strategy.run()
        progress = self.progress()
        self.ctx.on_event(Event(kind=EventKind.search_done, run_id=self.ctx.run_id, task_id=self.task.id,
                                turn=progress.turns_done, progress=progress))

    # --- one turn, for the strategies -----------------------------------------------------------------

    def finish(self, state: TrajectoryState) -> None:
        """Close a worker that stopped on its own, with its stop reason."""
        self.ctx.store.finish_trajectory(state.db_id, RunStatus.finished, state.stop_reason)
        self._event(EventKind.trajectory_done, state, state.turns_done, message=state.stop_reason or "")

    async def turn(self, state: TrajectoryState, parents: Sequence[ParentKernel] = ()) -> None:
        """One model call of worker `state`, judged and recorded; the prompt shows `state.feedback` and the
        `parents` the strategy chose. Afterwards `state.last_result` is the verdict (None: no code, no reply)
        and, when there is one, `state.parent_candidate_id` the judged candidate."""
        ctx, turn = self.ctx, state.turns_done
        if state.pending_turn_id is not None:
            # Resume: this turn's reply is stored; only its verdict is missing.
            pending, state.pending_turn_id = state.pending_turn_id, None
            stored = next(t for t in ctx.store.turns_for_trajectory(state.db_id) if t.id == pending)
            await self._judge(state, turn, pending, stored.reply)
            return
        messages = self._messages(state, turn, parents)
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
            self._observe(state, None)
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
            self._observe(state, None)
            state.feedback = no_code_feedback()
            self._event(EventKind.turn_done, state, turn, outcome=TurnOutcome.no_code,
                        message="the reply had no ModelNew code block")
            return
        result = verdict.result
        improved = self._observe(state, result)
        state.feedback = feedback_for(result, self.task)
        state.parent_candidate_id = verdict.candidate_id
        self._event(EventKind.turn_done, state, turn, outcome=verdict.outcome, result=result, improved=improved,
                    message=result.message)

    def _observe(self, state: TrajectoryState, result: EvalResult | None) -> bool:
        """Count a finished turn and let the strategy say whether its worker stops, before any event shows it;
        returns whether the turn set a new best."""
        improved = state.observe(result, self.ctx.search)
        state.stop_reason = self.strategy.stop_reason(state)
        return improved

    # --- prompts and events ---------------------------------------------------------------------------

    def _messages(self, state: TrajectoryState, turn: int, parents: Sequence[ParentKernel]) -> list[ChatMessage]:
        ctx = self.ctx
        rng = random.Random(ctx.search.seed * 1_000_003 + state.index * 1009 + turn)
        pool = exemplar_pool(ctx.store, self.task.source_hash, ctx.platform, ctx.eval,
                             run_id=ctx.run_id if ctx.own_exemplars else None)
        exemplars = sample_exemplars(pool, rng, k=ctx.search.exemplars)
        opts = ctx.eval
        inputs = PromptInputs(task=self.task, platform=ctx.platform, hardware=ctx.hardware, peaks=ctx.peaks,
                              threads=opts.threads or default_threads(), allow_torch=opts.allow_torch,
                              example=self.example, exemplars=exemplars, feedback=state.feedback,
                              start=self.start, parents=list(parents))
        return self.builder.build(inputs)

    def _event(self, kind: EventKind, state: TrajectoryState, turn: int | None = None, **fields: object) -> None:
        if kind in (EventKind.turn_done, EventKind.trajectory_done):
            fields["progress"] = self.progress()
        self.ctx.on_event(Event(kind=kind, run_id=self.ctx.run_id, task_id=self.task.id, trajectory=state.index,
                                turn=turn, **fields))
