"""The search-strategy seam: strategies found by name, a new one in one file (here, one defined in this test),
the evolutionary and tree strategies choosing parents as they say, and resumed runs that spend only what is left."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from pydantic import ValidationError
from strategy_harness import Run, ScriptedModel, TableCluster, correct, failed, kernel, reply, variants_in

from kernelwright.agent.prompts import ParentKernel
from kernelwright.agent.providers import ProviderError
from kernelwright.agent.search import SearchConfig, TrajectoryState
from kernelwright.agent.search_context import EventKind
from kernelwright.agent.strategies import register, registry, strategy_names
from kernelwright.agent.strategies.base import SearchStrategy, strategy_class
from kernelwright.agent.strategies.evolution import EvolutionStrategy
from kernelwright.agent.strategies.pool import Member, PoolStrategy
from kernelwright.agent.strategies.tree import TreeStrategy, priority
from kernelwright.config.commands import OptimizeCommand
from kernelwright.config.files import ConfigError, validate_config
from kernelwright.db.enums import RunStatus


class SoloStrategy(SearchStrategy):
    """A strategy that exists only here: one worker spends the whole budget, always refining the newest kernel."""

    name = "test-solo"

    def prepare(self) -> list[TrajectoryState]:
        ((state, _row),) = self.workers(1)
        return [state]

    async def run(self) -> None:
        state = self.search.states[0]
        source: str | None = None
        while state.turns_done < self.config.budget:
            await self.search.turn(state, [ParentKernel(source=source, verdict="newest")] if source else [])
            if state.last_result is not None and state.parent_candidate_id is not None:
                candidate = self.ctx.store.get_candidate(state.parent_candidate_id)
                source = candidate.source if candidate is not None else source
        state.stop_reason = "spent the budget"
        self.search.finish(state)


def _climbing(prompt: str, call: int) -> str:
    """Each reply one variant above the highest shown (a fresh one when none is), so refining pays."""
    return reply(max(variants_in(prompt), default=100 * call) + 1)


def test_the_builtins_are_registered_and_an_unknown_name_says_which_exist() -> None:
    assert {"parallel", "evolution", "tree"} <= set(strategy_names())
    assert strategy_class("tree") is TreeStrategy
    with pytest.raises(ValidationError, match="known: evolution, parallel"):
        SearchConfig(strategy="beam")
    with pytest.raises(ConfigError, match="unknown search strategy 'beam'"):
        validate_config(OptimizeCommand, {"task": "activation/relu", "search": {"strategy": "beam"}})


@pytest.fixture
def solo_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the test's strategy in a copy of the registry, so other tests (and workers) never see it."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    register(SoloStrategy)


@pytest.mark.usefixtures("solo_registered")
def test_a_strategy_defined_only_in_tests_runs_through_the_registry(tmp_path: Path) -> None:
    run = Run.new(tmp_path, SearchConfig(strategy="test-solo", trajectories=2, turns=3, exemplars=0))
    model = ScriptedModel(_climbing)
    search = run.go(model, TableCluster(lambda v: correct(1.0 + v / 1000)))
    assert isinstance(search.strategy, SoloStrategy)
    assert run.judged_turns() == [[0, 1, 2, 3, 4, 5]]  # the budget, 2 x 3 calls, in its one worker
    assert variants_in(model.prompts[-1]) == [105]  # it showed its newest kernel, as it says
    done = [e for e in run.events if e.kind is EventKind.search_done]
    assert done and done[0].progress is not None and done[0].progress.turns_done == done[0].progress.budget == 6


def test_evolution_crosses_two_parents_over_and_migrates_between_islands(tmp_path: Path) -> None:
    run = Run.new(tmp_path, SearchConfig(strategy="evolution", trajectories=2, turns=6, seed=3, exemplars=0))
    model = ScriptedModel(_climbing)
    search = run.go(model, TableCluster(lambda v: correct(1.0 + v / 1000)))
    assert len(model.prompts) == 12 and run.judged_turns() == [list(range(6))] * 2
    assert any("Two earlier kernels to combine" in p and len(variants_in(p)) == 2 for p in model.prompts)
    strategy = search.strategy
    assert isinstance(strategy, EvolutionStrategy)
    # Each island holds a kernel the other one made: its best, migrated.
    assert {m.worker for m in strategy.islands[0].values()} == {0, 1}
    assert {m.worker for m in strategy.islands[1].values()} == {0, 1}


def _member(candidate_id: int, speedup: float | None, children: int = 0) -> Member:
    result = correct(speedup) if speedup is not None else failed()
    return Member(candidate_id=candidate_id, source=kernel(candidate_id), result=result, worker=0, children=children)


def test_the_tree_expands_the_fastest_correct_node_until_its_children_outnumber_it() -> None:
    nodes = [_member(1, None), _member(2, 1.5), _member(3, 2.0), _member(4, None, children=0)]
    assert max(nodes, key=priority).candidate_id == 3
    nodes[2].children = 2  # 2.0 x 0.8^2 = 1.28 < 1.5: the next best gets its turn
    assert max(nodes, key=priority).candidate_id == 2
    # None correct: the failure with the fewest children, the newest first.
    failures = [_member(1, None), _member(2, None, children=1)]
    assert max(failures, key=priority).candidate_id == 1


def test_the_tree_refines_its_best_node_with_the_nodes_verdict(tmp_path: Path) -> None:
    run = Run.new(tmp_path, SearchConfig(strategy="tree", trajectories=1, turns=4, exemplars=0))
    # Odd variants are fast, even ones fail: the root (102) fails and is refined with its build error shown; its
    # child (103) is correct, so it is expanded next, and again after its own child fails.
    model = ScriptedModel(lambda prompt, call: reply(max(variants_in(prompt), default=101) + 1))
    run.go(model, TableCluster(lambda v: correct(2.0) if v % 2 else failed()))
    assert variants_in(model.prompts[0]) == []
    assert variants_in(model.prompts[1]) == [102] and "does not build" in model.prompts[1]
    assert variants_in(model.prompts[2]) == [103] and "2.00x" in model.prompts[2]
    assert variants_in(model.prompts[3]) == [103]


@pytest.mark.parametrize("strategy", ["tree", "evolution"])
def test_a_pool_strategys_progress_never_shows_the_budget_spent_early(tmp_path: Path, strategy: str) -> None:
    # Failing turns would stop a default trajectory (max_failures 1); a pool worker goes on, and no event may say
    # the task's budget is spent while it does.
    run = Run.new(tmp_path, SearchConfig(strategy=strategy, trajectories=1, turns=3, exemplars=0, max_failures=1))
    run.go(ScriptedModel(lambda prompt, call: reply(100 + call)), TableCluster(lambda v: failed()))
    turns = [e.progress for e in run.events if e.kind is EventKind.turn_done]
    assert [(p.turns_done, p.budget) for p in turns if p is not None] == [(1, 3), (2, 3), (3, 3)]


def test_a_resumed_evolution_rebuilds_its_islands_and_spends_only_the_rest(tmp_path: Path) -> None:
    config = SearchConfig(strategy="evolution", trajectories=2, turns=3, seed=1, exemplars=0)
    run = Run.new(tmp_path, config)
    cluster = TableCluster(lambda v: correct(1.0 + v / 1000))
    with pytest.raises(ProviderError):
        run.go(ScriptedModel(_climbing, fail_after=3), cluster)
    asked_before = sum(map(len, run.judged_turns()))
    assert 0 < asked_before < 6
    resumed = ScriptedModel(_climbing)
    search = run.go(resumed, cluster, resuming=True)
    assert run.judged_turns() == [[0, 1, 2]] * 2
    assert len(resumed.prompts) == 6 - asked_before
    assert isinstance(search.strategy, PoolStrategy) and len(search.strategy.members) == len(set(cluster.evaluated))
    assert all(t.status is RunStatus.finished for t in run.store.trajectories_for_run(run.run_id))


def test_a_resumed_default_run_replays_its_turns_and_spends_only_the_rest(tmp_path: Path) -> None:
    run = Run.new(tmp_path, SearchConfig(trajectories=2, turns=3, patience=5, exemplars=0))
    cluster = TableCluster(lambda v: correct(1.0 + v / 1000))
    with pytest.raises(ProviderError):
        run.go(ScriptedModel(_climbing, fail_after=2), cluster)
    resumed = ScriptedModel(_climbing)
    run.go(resumed, cluster, resuming=True)
    assert run.judged_turns() == [[0, 1, 2]] * 2 and len(resumed.prompts) == 4
    assert not any(variants_in(p) for p in resumed.prompts)  # the default shows no parents, only feedback


def test_evolution_draws_parents_from_every_bucket_and_favours_speed() -> None:
    from kernelwright.agent.strategies.evolution import select

    members = [_member(1, None), _member(2, 1.0), _member(3, 1.01), _member(4, 3.0)]
    rng = random.Random(0)
    drawn = [select(members, rng).candidate_id for _ in range(400)]
    assert drawn.count(4) > drawn.count(2) and drawn.count(4) > drawn.count(3)
    assert drawn.count(1) > 40  # the failure's bucket is drawn as often as any: diversity, not only speed
