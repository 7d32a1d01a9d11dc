"""The default strategy: N independent trajectories, each T refinement turns on its own last verdict, stopping
early after `max_failures` failed turns in a row or `patience` turns without a new best.

A resumed run replays each trajectory's stored turns to rebuild its counters and feedback, then goes on where it
stopped (a turn cut off before its verdict is judged first, from the cache when its evaluation was stored).
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager, nullcontext

from kernelwright.agent.prompts import feedback_for, no_code_feedback
from kernelwright.agent.search import SearchProgress, TrajectoryState
from kernelwright.agent.strategies import register
from kernelwright.agent.strategies.base import SearchStrategy
from kernelwright.db.enums import TurnOutcome


@register
class ParallelStrategy(SearchStrategy):
    """N parallel trajectories x T refinement turns (the CodeMonkeys / Kevin shape)."""

    name = "parallel"
    independent_workers = True

    def prepare(self) -> list[TrajectoryState]:
        return self.resumed_workers(self._replay)

    async def run(self) -> None:
        await asyncio.gather(*(self._trajectory(s) for s in self.search.states if not s.done))

    def progress(self) -> SearchProgress:
        """Turns made of the budget; a trajectory that stopped early counts all its turns."""
        turns = self.config.turns
        done = sum(turns if s.done else min(s.turns_done, turns) for s in self.search.states)
        return SearchProgress(turns_done=done, budget=self.config.budget)

    def _replay(self, state: TrajectoryState) -> None:
        """Rebuild a stored trajectory's counters and feedback; a turn cut off before its verdict is re-judged
        when the trajectory continues (from the cache if its evaluation was stored)."""
        store, search = self.ctx.store, self.config
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
                await self.search.turn(state)
        self.search.finish(state)
