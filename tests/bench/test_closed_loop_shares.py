"""benchmarks/closed_loop.py's counting, on a store written by hand: which turns built, were correct, were faster,
split by the stored task's held-out flag; GRPO rewards grouped per step."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from kernelwright.db import Store
from kernelwright.db.enums import RunKind, TurnOutcome
from kernelwright.evaluator.result import EvalResult, Reason, Stage, Status
from kernelwright.tasks.registry import resolve_task

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def loop() -> ModuleType:
    spec = importlib.util.spec_from_file_location("closed_loop", ROOT / "benchmarks" / "closed_loop.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["closed_loop"] = module  # pydantic resolves the module's annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def _turn(store: Store, run: str, task_id: str, index: int, result: EvalResult | None) -> None:
    task = resolve_task(task_id)
    trajectory = store.add_trajectory(run, task.id, index)
    turn = store.add_turn(trajectory, 0, "prompt", "reply", model="m")
    if result is None:
        store.set_turn_outcome(turn, TurnOutcome.no_code)
        return
    evaluation = store.record_evaluation(task, f"# kernel {task_id} {index}\n", result.model_copy(
        update={"task_id": task.id}), turn_id=turn)
    row = store.get_evaluation(evaluation)
    assert row is not None
    store.set_turn_outcome(turn, TurnOutcome.evaluated, row.candidate_id, evaluation)


def _result(status: Status, stage: Stage, speedup: float | None = None) -> EvalResult:
    return EvalResult(status=status, reason=Reason.ok, stage=stage, platform="cpu", speedup=speedup,
                      speedup_ci=None if speedup is None else (speedup * 0.9, speedup * 1.1))


def test_turn_shares_count_build_correct_faster_per_split(loop: ModuleType, tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'kw.db'}")
    for task_id in ("activation/relu", "activation/softsign"):
        store.upsert_task(resolve_task(task_id))
    run = store.create_run(RunKind.bench)
    _turn(store, run, "activation/relu", 0, None)  # no code
    _turn(store, run, "activation/relu", 1, _result(Status.build_error, Stage.build))
    _turn(store, run, "activation/relu", 2, _result(Status.incorrect, Stage.correctness))  # built
    _turn(store, run, "activation/relu", 3, _result(Status.correct, Stage.done, 0.5))  # correct, slower
    _turn(store, run, "activation/relu", 4, _result(Status.correct, Stage.done, 2.0))  # faster
    _turn(store, run, "activation/softsign", 0, _result(Status.unstable, Stage.timing))  # correct, untimed
    shares = loop.turn_shares(store, run, "base")
    store.close()
    assert [(s.split, s.tasks, s.turns, s.no_code, s.build, s.correct, s.faster) for s in shares] == [
        ("train", 1, 5, 0.2, 0.6, 0.4, 0.2), ("held-out", 1, 1, 0.0, 1.0, 1.0, 0.0)]


def test_grpo_rewards_are_grouped_per_step(loop: ModuleType) -> None:
    steps = loop.grpo_steps([-1.0, -1.0, 0.5, -0.5], 2)
    assert [(s.step, s.rewards, s.mean, s.std) for s in steps] == [(1, [-1.0, -1.0], -1.0, 0.0),
                                                                  (2, [0.5, -0.5], 0.0, 0.5)]


def test_replot_prints_the_tables_and_draws_the_plot(loop: ModuleType, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    shares = [loop.Shares(model=m, split=s, tasks=1, turns=2, no_code=0.5, build=0.5, correct=0.5, faster=0.0)
              for m in ("base", "SFT") for s in ("train", "held-out")]
    result = loop.LoopResult(model="smollm2-135m", samples=2, max_tokens=8, train_tasks=["a"], held_out_tasks=["b"],
                             sft_records=1, sft_steps=1, sft_final_loss=1.0, shares=shares,
                             grpo=loop.grpo_steps([-1.0, 0.5], 2), phase_s={"train sft": 12.0}, command="c")
    stored = tmp_path / "closed_loop.json"
    stored.write_text(result.model_dump_json())
    loop.main(["--replot", str(stored)])
    printed = capsys.readouterr().out
    for row in ("| base, train | 1 | 2 | 50% | 50% | 50% | 0% |", "| SFT, held-out | 1 | 2 |",
                "| 1 | -1.00, 0.50 | -0.250 | 0.750 |", "| train sft | 12 s |"):
        assert row in printed
    assert (tmp_path / "closed_loop.png").read_bytes().startswith(b"\x89PNG")
