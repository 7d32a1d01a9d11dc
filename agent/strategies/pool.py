"""What the evolutionary and tree strategies share: workers that draw from one pool of judged attempts.

Before each call the strategy chooses what the prompt shows (`choose`: the parent kernels, the feedback); after it,
the new kernel joins the pool (`admit`). Every worker makes its share of the budget (T calls); none stops early
except when nothing more can be learnt here (a provider that cannot answer, a machine that can only compile).

Resume: the pool is rebuilt from the stored turns of every worker (each judged turn's candidate with its verdict,
its lineage parent from the store), a turn cut off before its verdict is judged first, and each worker makes the
calls it has left. Choices after a resume are drawn afresh, so they need not be those an uninterrupted run made.
"""

from __future__ import annotations

import asyncio
import random
from abc import abstractmethod
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field

from kernelwright.agent.prompts import ParentKernel
from kernelwright.agent.search import TrajectoryState
from kernelwright.agent.strategies.base import SearchHost, SearchStrategy
from kernelwright.evaluator.result import EvalResult, Status

COMPILED_ONLY = "compiled only: no GPU here to run, check or time the kernel"


@dataclass(eq=False)
class Member:
    """A judged kernel in the pool: its stored candidate, source and verdict, the worker that made it, the
    candidate it was refined from, and how often it has been chosen as a parent since."""

    candidate_id: int
    source: str
    result: EvalResult
    worker: int
    parent_id: int | None = None
    children: int = 0

    @property
    def speedup(self) -> float | None:
        """The measured speedup of a correct, timed kernel; None otherwise."""
        return self.result.speedup if self.result.is_correct else None


@dataclass
class Choice:
    """What one call's prompt shows: the parents to refine or combine, and the feedback on them."""

    parents: list[Member] = field(default_factory=list)
    feedback: str | None = None


def verdict_words(result: EvalResult) -> str:
    """A parent's verdict in a few words for the prompt: `correct, 1.42x` or `incorrect (mismatch): ...`."""
    if result.is_correct and result.speedup is not None:
        return f"correct, {result.speedup:.2f}x vs PyTorch eager"
    # One line: the message can carry the candidate's own text (an exception), and it sits in a heading.
    message = " ".join(result.message.split())[:200]
    return f"{result.status.value} ({result.reason.value})" + (f": {message}" if message else "")


class PoolStrategy(SearchStrategy):
    """Workers over one shared pool of judged kernels; subclasses say which parents each call gets."""

    def __init__(self, search: SearchHost) -> None:
        super().__init__(search)
        self.members: dict[int, Member] = {}

    @abstractmethod
    def choose(self, state: TrajectoryState, rng: random.Random) -> Choice:
        """The parents and feedback of worker `state`'s next call (no parents: a fresh sample)."""

    def admit(self, member: Member) -> None:
        """Add a newly judged kernel to the pool (a kernel seen before is not added twice)."""
        self.members.setdefault(member.candidate_id, member)

    def after_turn(self, state: TrajectoryState) -> None:
        """Hook after each call of a worker (the evolutionary strategy migrates here)."""

    def prepare(self) -> list[TrajectoryState]:
        states = self.resumed_workers(self._replay)
        for member in self.members.values():
            parent = self.members.get(member.parent_id) if member.parent_id is not None else None
            if parent is not None:
                parent.children += 1
        return states

    async def run(self) -> None:
        await asyncio.gather(*(self._worker(s) for s in self.search.states if not s.done))

    def _replay(self, state: TrajectoryState) -> None:
        store = self.ctx.store
        for turn in store.turns_for_trajectory(state.db_id):
            if turn.outcome is None:
                state.pending_turn_id = turn.id
                continue
            row = store.get_evaluation(turn.evaluation_id) if turn.evaluation_id is not None else None
            state.observe(row.result if row is not None else None, self.config)
            candidate = store.get_candidate(turn.candidate_id) if turn.candidate_id is not None else None
            if row is not None and candidate is not None:
                self.admit(Member(candidate.id, candidate.source, row.result, state.index, candidate.parent_id))
        state.stop_reason = self.stop_reason(state)

    def stop_reason(self, state: TrajectoryState) -> str | None:
        """A worker stops when its turns are spent (or nothing can be checked here): the default's early stopping
        does not apply, as a worker's calls serve the whole pool."""
        if state.last_result is not None and state.last_result.status is Status.build_ok_unverified:
            return COMPILED_ONLY
        if state.turns_done >= self.config.turns:
            return f"used all {self.config.turns} turns"
        return None

    async def _worker(self, state: TrajectoryState) -> None:
        state.stop_reason = self.ctx.provider.cannot_answer(self.task, self.ctx.platform)
        limiter: AbstractAsyncContextManager[object] = self.ctx.limiter or nullcontext()
        async with limiter:
            while not state.done:
                parents: list[Member] = []
                if state.pending_turn_id is None:
                    rng = random.Random(self.config.seed * 1_000_003 + state.index * 1009 + state.turns_done)
                    choice = self.choose(state, rng)
                    parents, state.feedback = choice.parents, choice.feedback
                    state.parent_candidate_id = parents[0].candidate_id if parents else None
                    for parent in parents:
                        parent.children += 1
                await self.search.turn(state, [ParentKernel(source=p.source, verdict=verdict_words(p.result))
                                               for p in parents])
                self._admit_turn(state, parents)
                self.after_turn(state)
        self.search.finish(state)

    def _admit_turn(self, state: TrajectoryState, parents: list[Member]) -> None:
        result, candidate_id = state.last_result, state.parent_candidate_id
        if result is None or candidate_id is None:
            return
        candidate = self.ctx.store.get_candidate(candidate_id)
        if candidate is not None:
            parent_id = parents[0].candidate_id if parents else candidate.parent_id
            self.admit(Member(candidate_id, candidate.source, result, state.index, parent_id))
