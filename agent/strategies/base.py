"""The seam every search strategy implements, and what they share: the task's workers (stored trajectories) and
how a resumed run finds them again.

A strategy spends one task's budget of model calls (`SearchConfig.budget`: N workers x T turns). Its workers are
the run's stored trajectories, each holding the turns it made, so the store, the summaries, the exports and the
service read every strategy's runs alike. Each call goes through `TaskSearch.turn`, which builds the prompt (with
the parent kernels the strategy chose), asks the model, judges the reply and records it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar, Protocol

from kernelwright.agent.search import SearchConfig, SearchProgress, TrajectoryState
from kernelwright.agent.strategies.registry import registered
from kernelwright.db.enums import RunStatus
from kernelwright.db.rows import TrajectoryRow

if TYPE_CHECKING:
    from kernelwright.agent.prompts import ParentKernel
    from kernelwright.agent.search_context import SearchContext
    from kernelwright.tasks.model import Task


class SearchHost(Protocol):
    """What a strategy is given: one task's search (`task_search.TaskSearch`), which makes each call."""

    ctx: SearchContext
    task: Task
    resuming: bool
    states: list[TrajectoryState]

    def finish(self, state: TrajectoryState) -> None:
        """Close a worker that stopped: its stored trajectory and the search's events."""

    async def turn(self, state: TrajectoryState, parents: Sequence[ParentKernel] = ()) -> None:
        """One model call for `state`'s worker (with the parent kernels chosen), judged and recorded."""


class SearchStrategy(ABC):
    """How one task's model calls are chosen and refined. `prepare()` creates the workers or rebuilds them from a
    resumed run's stored turns; `run()` spends what is left of the budget; `close()` settles unfinished workers."""

    name: ClassVar[str]
    # Whether its workers are independent samples of the model (no worker sees another's kernels): only then are
    # pass@k and speedup@k for k below the worker count defined (bench metrics).
    independent_workers: ClassVar[bool] = False

    def __init__(self, search: SearchHost) -> None:
        self.search = search

    @property
    def ctx(self) -> SearchContext:
        return self.search.ctx

    @property
    def task(self) -> Task:
        return self.search.task

    @property
    def config(self) -> SearchConfig:
        return self.search.ctx.search

    @abstractmethod
    def prepare(self) -> list[TrajectoryState]:
        """Create the workers, or rebuild stored ones (a resumed run) by replaying their turns."""

    @abstractmethod
    async def run(self) -> None:
        """Spend the rest of the budget; each worker is closed (`TaskSearch.finish`) when it stops."""

    def describe(self) -> str:
        """The search's shape in a few words, for a run's first line."""
        return f"{self.config.trajectories} trajectories x {self.config.turns} turns"

    def progress(self) -> SearchProgress:
        """Calls made of the budget; once every worker has stopped, the whole budget (what was left is not
        going to be spent)."""
        states, budget = self.search.states, self.config.budget
        if states and all(s.done for s in states):
            return SearchProgress(turns_done=budget, budget=budget)
        return SearchProgress(turns_done=min(budget, sum(s.turns_done for s in states)), budget=budget)

    def stop_reason(self, state: TrajectoryState) -> str | None:
        """Why `state`'s worker stops after the turn it just made (None: it goes on). By default the trajectory's
        own rules, which `TrajectoryState.observe` applied (turns, failures in a row, patience)."""
        return state.stop_reason

    def close(self, status: RunStatus) -> None:
        """Workers that stopped on their own are already closed; the rest share the run's fate."""
        for state in self.search.states:
            if not state.done:
                self.ctx.store.finish_trajectory(state.db_id, status, state.stop_reason)

    def resumed_workers(self, replay: Callable[[TrajectoryState], None]) -> list[TrajectoryState]:
        """Every worker's state (`workers`); a stored one is rebuilt by `replay` from its turns, and one killed
        between its last verdict and its closing is closed now, as its replay shows it had stopped."""
        states: list[TrajectoryState] = []
        for state, row in self.workers():
            if row is not None:
                replay(state)
                if row.status is RunStatus.finished:
                    state.stop_reason = row.stop_reason or state.stop_reason or "finished"
                elif state.done:
                    self.ctx.store.finish_trajectory(row.id, RunStatus.finished, state.stop_reason)
            states.append(state)
        return states

    def workers(self, count: int | None = None) -> list[tuple[TrajectoryState, TrajectoryRow | None]]:
        """One state per worker (`count`, default `trajectories`), each with its stored trajectory row when the
        run is resumed (None: a new one, created now)."""
        ctx = self.ctx
        existing = ({t.index: t for t in ctx.store.trajectories_for_run(ctx.run_id) if t.task_id == self.task.id}
                    if self.search.resuming else {})
        found: list[tuple[TrajectoryState, TrajectoryRow | None]] = []
        for index in range(self.config.trajectories if count is None else count):
            row = existing.get(index)
            db_id = row.id if row is not None else ctx.store.add_trajectory(ctx.run_id, self.task.id, index)
            found.append((TrajectoryState(index=index, db_id=db_id), row))
        return found


def strategy_class(name: str) -> type[SearchStrategy]:
    """The strategy registered as `name`; `UnknownStrategy` lists the known ones."""
    found = registered(name)
    if not issubclass(found, SearchStrategy):
        raise TypeError(f"{found.__module__}.{found.__qualname__}, registered as {name!r}, is not a SearchStrategy")
    return found
