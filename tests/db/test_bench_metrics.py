"""Bench metrics, leaderboard and report from a store filled with known records (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from store_data import KERNEL, KERNEL_OTHER, make_result, make_task

from kernelwright.agent.bench.config import BenchConfig, BenchTask, Split
from kernelwright.agent.bench.metrics import run_metrics
from kernelwright.agent.providers import ProviderConfig
from kernelwright.agent.search import SearchConfig
from kernelwright.db import Store
from kernelwright.db.enums import BaselineKind, RunKind, RunStatus, TurnOutcome
from kernelwright.evaluator import BaselineStatus
from kernelwright.evaluator.result import HARNESS_VERSION, Reason, Stage, Status
from kernelwright.views.bench_plots import BENCH_PLOTS, plot_names
from kernelwright.views.leaderboard import Format, render
from kernelwright.views.report import speedup_by_turn, write_report

SLOW_KERNEL = KERNEL.replace("clamp_min(0)", "clamp_min(0.0)")


def _fill(store: Store) -> tuple[str, dict[str, int]]:
    """Two tasks x 2 samples x 2 turns; `activation/gelu` is held out. Returns the run id and evaluation ids.

    relu sample 0: incorrect, then correct 2.1x; sample 1: no code, then correct 0.8x. gelu: both samples fail.
    """
    relu = make_task("activation/relu")
    gelu = make_task("activation/gelu").model_copy(update={"held_out": True})
    for task in (relu, gelu):
        store.upsert_task(task)
    hw = store.upsert_hardware("fp-1", "cpu", "Test CPU", {})
    config = BenchConfig(selection="tasks activation/*, split all", split=Split.all, platform="cpu",
                         tasks=[BenchTask(id=t.id, origin=t.id, source_hash=t.source_hash) for t in (relu, gelu)],
                         provider=ProviderConfig(model="m-1"), search=SearchConfig(trajectories=2, turns=2))
    run_id = store.create_run(RunKind.bench, {"bench": config.model_dump(mode="json"), "provider_label": "openai m-1",
                                              "harness_version": HARNESS_VERSION, "hardware": "Test CPU",
                                              "hardware_id": hw})
    ids: dict[str, int] = {}

    def turn(traj: int, index: int, key: str | None, source: str = KERNEL, **result: object) -> None:
        if key is None:
            store.add_turn(traj, index, "p", "no code here", model="m-1", outcome=TurnOutcome.no_code)
            return
        turn_id = store.add_turn(traj, index, "p", "reply", model="m-1")
        task = relu if key.startswith("relu") else gelu
        eval_id = store.record_evaluation(task, source, make_result(task, source, **result), hardware_id=hw,
                                          turn_id=turn_id)
        row = store.get_evaluation(eval_id)
        assert row is not None
        store.set_turn_outcome(turn_id, TurnOutcome.evaluated, candidate_id=row.candidate_id, evaluation_id=eval_id)
        ids[key] = eval_id

    wrong = dict(status=Status.incorrect, reason=Reason.output_mismatch, stage=Stage.correctness, speedup=None,
                 speedup_ci=None)
    t = store.add_trajectory(run_id, relu.id, 0)
    turn(t, 0, "relu-wrong", KERNEL_OTHER, **wrong)
    turn(t, 1, "relu-fast")
    t = store.add_trajectory(run_id, relu.id, 1)
    turn(t, 0, None)
    turn(t, 1, "relu-slow", SLOW_KERNEL, speedup=0.8, speedup_ci=(0.7, 0.9))
    for index in range(2):
        t = store.add_trajectory(run_id, gelu.id, index)
        turn(t, 0, f"gelu-{index}", KERNEL if index else KERNEL_OTHER, status=Status.build_error,
             reason=Reason.compile_error, stage=Stage.build, speedup=None, speedup_ci=None)
        turn(t, 1, None)
    for traj in store.trajectories_for_run(run_id):
        store.finish_trajectory(traj.id, RunStatus.finished, "used all 2 turns")
    store.finish_run(run_id)
    store.record_baseline(relu.id, relu.source_hash, "cpu", BaselineKind.eager, 0.42, hardware_id=hw, min_ms=0.4,
                          ci=(0.41, 0.43))
    store.record_baseline(relu.id, relu.source_hash, "cpu", BaselineKind.compile, 0.3, hardware_id=hw,
                          vs_eager=(1.4, 1.3, 1.5), message="eager 0.42 ms, torch.compile 0.30 ms")
    store.record_baseline(gelu.id, gelu.source_hash, "cpu", BaselineKind.compile, None, hardware_id=hw,
                          status=BaselineStatus.compile_failed, message="torch.compile failed: boom")
    return run_id, ids


def test_metrics_of_known_records(store: Store) -> None:
    run_id, _ = _fill(store)
    m = run_metrics(store, run_id)
    assert (m.model, m.platform, m.hardware, m.samples, m.turns) == ("m-1", "cpu", "Test CPU", 2, 2)
    relu, gelu = sorted(m.tasks, key=lambda o: o.task_id, reverse=True)
    assert relu.task_id == "activation/relu" and relu.correct and relu.speedup == pytest.approx(2.1)
    assert [s.correct for s in relu.samples] == [True, True]
    assert relu.samples[0].best_by_turn == [None, pytest.approx(2.1)]
    assert relu.compile_ratio == pytest.approx(1.4) and relu.vs_compile == pytest.approx(2.1 / 1.4)
    # The interval divides by the other end of the compile ratio's interval: conservative both ways.
    assert relu.vs_compile_ci == (pytest.approx(1.9 / 1.5), pytest.approx(2.3 / 1.3))
    assert not gelu.correct and gelu.held_out and gelu.compile_ratio is None  # its compile baseline failed
    o = m.overall
    assert o.tasks == 2 and o.fast_p["1"] == 0.5 and o.fast_p["2"] == 0.5 and o.correct_rate == 0.5
    assert o.pass_at_k == {"1": 0.5, "2": 0.5}
    assert o.build_error_rate == pytest.approx(2 / 5) and o.no_code_rate == pytest.approx(3 / 8)
    assert o.compile_tasks == 1 and o.fast_1_vs_compile == 1.0
    assert set(m.by_level) == {"1"} and set(m.by_category) == {"activation"}

    public = run_metrics(store, run_id, Split.public)
    assert [t.task_id for t in public.tasks] == ["activation/relu"] and public.overall.fast_p["1"] == 1.0
    held = run_metrics(store, run_id, Split.held_out)
    assert [t.task_id for t in held.tasks] == ["activation/gelu"] and held.overall.correct_rate == 0.0
    # The plot's numbers are the summary's as they stood after each turn: at the last turn, its geomean and fast_1.
    assert speedup_by_turn(m) == ([None, pytest.approx(2.1)], [0.0, 0.5])
    assert o.geomean == pytest.approx(2.1) and o.fast_p["1"] == 0.5


def test_a_rescore_replaces_the_verdicts_it_redid(store: Store) -> None:
    run_id, ids = _fill(store)
    gelu = store.get_task("activation/gelu")
    assert gelu is not None
    task = make_task("activation/gelu")
    new_id = store.record_evaluation(task, KERNEL, make_result(task, KERNEL, harness_version="9.9.9"))
    rescore = store.create_run(RunKind.eval, {"rescore_of": run_id})
    store.set_run_config(rescore, {"rescore_of": run_id, "evaluations": {str(ids["gelu-1"]): new_id}})
    store.finish_run(rescore)
    later = store.create_run(RunKind.eval, {"rescore_of": run_id, "evaluations": {}})
    store.finish_run(later)  # a later re-score that redid nothing keeps the earlier verdicts
    m = run_metrics(store, run_id)
    assert m.rescored and "9.9.9" in m.harness_versions
    gelu_outcome = next(t for t in m.tasks if t.task_id == "activation/gelu")
    assert gelu_outcome.correct and gelu_outcome.speedup == pytest.approx(2.1)


def test_an_unstable_verdict_is_correct_but_untimed(store: Store) -> None:
    run_id, ids = _fill(store)
    task = make_task("activation/gelu")
    unstable = store.record_evaluation(task, KERNEL, make_result(
        task, KERNEL, status=Status.unstable, reason=Reason.unstable_timing, speedup=None, speedup_ci=(0.6, 1.5),
        harness_version="9.9.9"))
    rescore = store.create_run(RunKind.eval, {"rescore_of": run_id, "evaluations": {str(ids["gelu-1"]): unstable}})
    store.finish_run(rescore)
    m = run_metrics(store, run_id)
    gelu = next(t for t in m.tasks if t.task_id == "activation/gelu")
    assert gelu.correct and gelu.speedup is None  # outputs verified; no speedup claimed
    assert m.overall.correct_rate == 1.0 and m.overall.fast_p["1"] == 0.5  # fast_0 counts it, fast_1 does not


def test_leaderboard_formats_and_report_files(store: Store, tmp_path: Path) -> None:
    run_id, _ = _fill(store)
    m = run_metrics(store, run_id)
    rows = list(csv.reader(io.StringIO(render([m], Format.csv, "t", None))))  # type: ignore[arg-type]
    assert rows[0][:3] == ["rank", "run", "model"] and rows[1][1] == run_id
    assert rows[1][10] == "50%" and rows[1][11] == "50%"  # fast_1, verified fast_1 (relu's [1.9, 2.3])
    assert rows[1][6] == "tasks activation/*, split all"
    markdown = render([m], Format.markdown, "Kernelwright leaderboard — split: all tasks", None)
    assert isinstance(markdown, str) and "split: all tasks" in markdown and f"| 1 | {run_id} |" in markdown
    data = json.loads(render([m], Format.json, "t", "activation"))  # type: ignore[arg-type]
    assert data["runs"][0]["metrics"]["fast_p"]["1"] == 0.5
    files = write_report(m, tmp_path / "report")
    names = {p.name for p in files}
    assert names == {"report.md", "report.html", "metrics.json", "speedup_by_category.png", "fast_p.png",
                     "speedup_vs_turn.png"}
    for png in (p for p in files if p.suffix == ".png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    text = (tmp_path / "report" / "report.md").read_text()
    assert "![fast_p over p](fast_p.png)" in text and "activation/gelu (held out)" in text
    assert "fast_1 50%" in text and "2.10x [1.90, 2.30]" in text


def test_a_one_turn_run_has_no_speedup_vs_turn_plot(store: Store, tmp_path: Path) -> None:
    run_id, _ = _fill(store)
    one_turn = run_metrics(store, run_id).model_copy(update={"turns": 1})
    names = {p.name for p in write_report(one_turn, tmp_path / "report")}
    assert "speedup_vs_turn.png" not in names and {"fast_p.png", "speedup_by_category.png"} <= names
    text = (tmp_path / "report" / "report.md").read_text()
    assert "speedup_vs_turn.png" not in text and "One turn per task: no speedup-vs-turn plot." in text
    assert plot_names(1) == ["speedup_by_category.png", "fast_p.png"] and plot_names(2) == list(BENCH_PLOTS)


def test_a_benchmark_sees_only_its_own_kernels_as_exemplars(store: Store) -> None:
    run_id, ids = _fill(store)
    relu = make_task("activation/relu")
    every = store.scored_candidates(relu.source_hash, "cpu")
    assert [r.speedup for _, r in every] == [pytest.approx(2.1), pytest.approx(0.8)]
    assert len(store.scored_candidates(relu.source_hash, "cpu", run_id=run_id)) == 2
    other = store.create_run(RunKind.bench, {})
    assert store.scored_candidates(relu.source_hash, "cpu", run_id=other) == []


def test_failed_baselines_round_trip(store: Store) -> None:
    _fill(store)
    row = store.latest_baseline("activation/gelu", store.upsert_hardware("fp-1", "cpu", "Test CPU", {}), "cpu",
                                BaselineKind.compile)
    assert row is not None and row.status is BaselineStatus.compile_failed and row.median_ms is None
    assert row.message == "torch.compile failed: boom"


def test_unlike_hardware_is_labelled_and_never_mixed(store: Store) -> None:
    """A two-machine cluster: each task's compile ratio is its own machine's, and tasks group by hardware."""
    relu, gelu = make_task("activation/relu"), make_task("activation/gelu")
    for task in (relu, gelu):
        store.upsert_task(task)
    fast = store.upsert_hardware("fp-fast", "cpu", "Fast CPU", {})
    slow = store.upsert_hardware("fp-slow", "cpu", "Slow CPU", {})
    config = BenchConfig(selection="two tasks", platform="cpu", search=SearchConfig(trajectories=1, turns=1),
                         tasks=[BenchTask(id=t.id, origin=t.id, source_hash=t.source_hash) for t in (relu, gelu)])
    run_id = store.create_run(RunKind.bench, {"bench": config.model_dump(mode="json"), "hardware": "Fast CPU",
                                              "hardware_id": fast, "harness_version": HARNESS_VERSION})
    for task, hw, node in ((relu, fast, "node-a"), (gelu, slow, "node-b")):
        traj = store.add_trajectory(run_id, task.id, 0)
        turn_id = store.add_turn(traj, 0, "p", "reply", model="m")
        eval_id = store.record_evaluation(task, KERNEL, make_result(task, KERNEL), hardware_id=hw, turn_id=turn_id,
                                          node_id=node, node_address="10.0.0.1")
        row = store.get_evaluation(eval_id)
        assert row is not None and (row.node_id, row.node_address, row.hardware_id) == (node, "10.0.0.1", hw)
        store.set_turn_outcome(turn_id, TurnOutcome.evaluated, candidate_id=row.candidate_id, evaluation_id=eval_id)
        store.finish_trajectory(traj, RunStatus.finished, "done")
    store.finish_run(run_id)
    # Each machine has both tasks' compile baselines; only the one a task's kernel ran on may be used.
    for hw, ratio in ((fast, 2.0), (slow, 4.0)):
        for task in (relu, gelu):
            store.record_baseline(task.id, task.source_hash, "cpu", BaselineKind.compile, 0.3, hardware_id=hw,
                                  vs_eager=(ratio, ratio, ratio), node_id="node-a" if hw == fast else "node-b")
    m = run_metrics(store, run_id)
    by_task = {o.task_id: o for o in m.tasks}
    assert by_task["activation/relu"].hardware == "Fast CPU" and by_task["activation/relu"].compile_ratio == 2.0
    assert by_task["activation/gelu"].hardware == "Slow CPU" and by_task["activation/gelu"].compile_ratio == 4.0
    assert m.hardware == "Fast CPU; Slow CPU"
    assert {hw: g.tasks for hw, g in m.by_hardware.items()} == {"Fast CPU": 1, "Slow CPU": 1}
    baseline = store.latest_baseline(gelu.id, slow, "cpu", BaselineKind.compile)
    assert baseline is not None and baseline.node_id == "node-b"
    board = render([m], Format.csv, "t", None)
    assert "Fast CPU; Slow CPU" in board


def test_report_has_a_table_by_hardware(store: Store, tmp_path: Path) -> None:
    run_id, _ = _fill(store)
    write_report(run_metrics(store, run_id), tmp_path)
    report = (tmp_path / "report.md").read_text()
    assert "## By hardware" in report and "| Test CPU | 2 |" in report
