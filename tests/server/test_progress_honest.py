"""Progress that counts what ran, and where each verdict was made: a job whose trajectory stopped early
(patience) says how many turns ran, of at most how many, which trajectory stopped early and why, and which turns
reused a stored verdict (cached): in `/v1/jobs/{id}`, `/v1/runs/{id}`, the run page and the leaderboard's recent
jobs; each turn's verdict names the machine and the cluster node that judged it.

The app runs without its lifespan (no Ray): the state is built here over a store of the test's own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kernelwright.agent.providers import ProviderConfig
from kernelwright.agent.runner import OptimizeConfig
from kernelwright.agent.search import SearchConfig
from kernelwright.db import Store
from kernelwright.db.enums import RunKind, RunStatus, TurnOutcome
from kernelwright.evaluator import HARNESS_VERSION
from kernelwright.evaluator.result import EvalResult, Reason, Stage, Status
from kernelwright.server.access import Access
from kernelwright.server.app import create_app
from kernelwright.server.queries import TTLCache
from kernelwright.server.state import ServiceState
from kernelwright.settings import ServeSettings
from kernelwright.tasks.loader import SUITE_DIR, load_task
from kernelwright.tasks.model import Task

PATIENCE = "no new best in 2 turns"
NODE_ID = "a1b2c3d4e5f6a7b8c9d0"


def _correct(task: Task) -> EvalResult:
    return EvalResult(status=Status.correct, reason=Reason.ok, stage=Stage.done, speedup=1.5, speedup_ci=(1.2, 1.8),
                      baseline_ms=0.5, candidate_ms=0.33, platform="cpu", hardware="Test CPU",
                      harness_version=HARNESS_VERSION, task_id=task.id, task_hash=task.source_hash)


@pytest.fixture()
def job(tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    """An optimize job planned as 2 trajectories x 4 turns: trajectory 0 stopped after 2 turns (one of them
    cached), trajectory 1 used all 4."""
    store = Store(f"sqlite:///{tmp_path / 'kw.db'}")
    relu = load_task(SUITE_DIR / "activation" / "relu.py")
    store.upsert_task(relu)
    config = OptimizeConfig(task_source=relu.source, task_origin="relu.py", task_id=relu.id, platform="cpu",
                            provider=ProviderConfig(name="examples", model="examples"),
                            search=SearchConfig(trajectories=2, turns=4))
    run_id = store.create_run(RunKind.optimize, {"optimize": config.model_dump(mode="json"), "task_id": relu.id})
    for index, (outcomes, reason) in enumerate([([TurnOutcome.no_code, TurnOutcome.cached], PATIENCE),
                                                ([TurnOutcome.no_code] * 4, "used all 4 turns")]):
        traj = store.add_trajectory(run_id, relu.id, index)
        for turn, outcome in enumerate(outcomes):
            turn_id = store.add_turn(traj, turn, "prompt", "reply", model="examples")
            if outcome is TurnOutcome.cached:  # a kernel judged before: its stored verdict is reused
                eval_id = store.record_evaluation(relu, "class ModelNew: pass", _correct(relu), turn_id=turn_id,
                                                  node_id=NODE_ID, node_address="10.0.0.7")
                row = store.get_evaluation(eval_id)
                assert row is not None
                store.set_turn_outcome(turn_id, outcome, candidate_id=row.candidate_id, evaluation_id=eval_id)
            else:
                store.set_turn_outcome(turn_id, outcome)
        store.finish_trajectory(traj, RunStatus.finished, reason)
    store.finish_run(run_id)
    app = create_app(ServeSettings(workers=1))
    settings = ServeSettings(workers=1, public_read=True)
    app.state.service = ServiceState(settings=settings, store=store, access=Access.create(store, True, 600),
                                     jobs=None,  # type: ignore[arg-type]  # no live jobs: stored runs only
                                     cache=TTLCache(0.0))
    try:
        yield TestClient(app), run_id
    finally:
        store.close()


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_api_counts_the_turns_that_ran(job: tuple[TestClient, str]) -> None:
    client, run_id = job
    progress = client.get(f"/v1/jobs/{run_id}").json()["progress"]
    assert (progress["turns_run"], progress["turns_total"], progress["turns_cached"], progress["stopped_early"]) \
        == (6, 8, 1, 1)
    assert progress["stop_reasons"] == [f"trajectory 0: {PATIENCE}", "trajectory 1: used all 4 turns"]
    trajectories = client.get(f"/v1/runs/{run_id}").json()["trajectories"]
    assert [(t["stopped_early"], t["max_turns"], t["turns_cached"]) for t in trajectories] == [(True, 4, 1),
                                                                                              (False, 4, 0)]


def test_pages_say_what_ran_and_why_it_stopped(job: tuple[TestClient, str]) -> None:
    client, run_id = job
    page = _text(client.get(f"/runs/{run_id}").text)
    assert "6 turns ran (at most 8), 1 served from the cache" in page
    assert "2 of 2 trajectories done (1 stopped early)" in page and f"trajectory 0: {PATIENCE}" in page
    assert f"2 turns ran of 4, 1 cached; stopped early: {PATIENCE}" in page
    assert "4 turns ran of 4; used all 4 turns" in page
    assert "2 correct cached correct, 1.50x" in page  # the cached turn's row: its verdict, marked as reused
    board = _text(client.get("/").text)
    assert "6 turns ran of at most 8, 1 stopped early, 1 cached" in board


def test_each_verdict_says_where_it_was_judged(job: tuple[TestClient, str]) -> None:
    client, run_id = job
    turns = client.get(f"/v1/runs/{run_id}").json()["trajectories"][0]["turns"]
    assert [(t["hardware"], t["node"]) for t in turns] == [(None, None), ("Test CPU", NODE_ID[:12])]
    assert "10.0.0.7" not in client.get(f"/v1/runs/{run_id}").text  # addresses stay off the service's answers
    assert f"Test CPU (node {NODE_ID[:12]})" in _text(client.get(f"/runs/{run_id}").text)
