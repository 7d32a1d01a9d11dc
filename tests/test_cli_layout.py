"""CLI output that survives a pipe and a narrow terminal: tables follow `COLUMNS` when it is set and print every
column, nothing cut or wrapped, when piped without it; `--format json|csv` for `runs list`; `tasks show` prints
source that runs as copied; `info` keeps a path on one line; `runs show` keeps its `turn` and `cand` columns."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kernelwright.cli import app
from kernelwright.db import Store
from kernelwright.evaluator.result import Status
from kernelwright.tasks.registry import resolve_task

sys.path.insert(0, str(Path(__file__).parent / "rl"))
from trace_fill import TraceFiller, kernel, make_task  # noqa: E402

LONG_ID = "normalization/a_rather_long_task_identifier_for_width_that_no_eighty_columns_hold"


def run(args: list[str], columns: int | None) -> str:
    """The command's stdout, as piped (no terminal), with `COLUMNS` set to `columns` or unset."""
    result = CliRunner().invoke(app, args, env={"COLUMNS": None if columns is None else str(columns)})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture()
def filled(tmp_path: Path) -> tuple[str, str]:
    url = f"sqlite:///{tmp_path / 'kw.db'}"
    store = Store(url)
    filler = TraceFiller(store)
    task = make_task(LONG_ID)
    filler.add(task, kernel("first"), Status.incorrect)
    filler.add(task, kernel("second"), Status.correct, speedup=1.7)
    store.set_run_config(filler.run_id, {"task_id": task.id, "optimize": {"platform": "cpu"},
                                         "provider_label": "openai some-model-with-a-long-name-for-the-width"})
    store.close()
    return url, filler.run_id


def test_runs_list_piped_prints_every_column_whole(filled: tuple[str, str]) -> None:
    url, run_id = filled
    piped = run(["runs", "list", "--db-url", url], None)
    assert LONG_ID in piped and "some-model-with-a-long-name-for-the-width" in piped and "…" not in piped
    assert "started" in piped and "provider" in piped
    narrow = run(["runs", "list", "--db-url", url], 80)
    assert max(len(line) for line in narrow.splitlines()) <= 80 and run_id in narrow


def test_runs_list_as_json_and_csv(filled: tuple[str, str]) -> None:
    url, run_id = filled
    rows = json.loads(run(["runs", "list", "--format", "json", "--db-url", url], 40))
    assert rows[0]["id"] == run_id and rows[0]["task"] == LONG_ID and rows[0]["best"].startswith("1.70x")
    parsed = list(csv.DictReader(io.StringIO(run(["runs", "list", "--format", "csv", "--db-url", url], 40))))
    assert parsed == [{key: str(value) for key, value in rows[0].items()}]


@pytest.mark.parametrize("columns", [80, 120])
def test_runs_show_keeps_turn_and_kernel_columns(filled: tuple[str, str], columns: int) -> None:
    url, run_id = filled
    shown = run(["runs", "show", run_id, "--db-url", url], columns)
    header = next(line for line in shown.splitlines() if "outcome" in line)
    assert header.split()[:4] == ["turn", "kernel", "outcome", "verdict"], header
    assert max(len(line) for line in shown.splitlines()) <= columns


@pytest.mark.integration  # `tasks show` probes the task in a child process
@pytest.mark.parametrize("columns", [None, 40])
def test_tasks_show_prints_source_that_runs_as_copied(columns: int | None) -> None:
    task = resolve_task("activation/relu")
    shown = run(["tasks", "show", "activation/relu"], columns)
    assert task.source.strip() in shown
    assert f"path              {task.path}" in shown  # whole, on its line


def test_info_never_splits_a_path(tmp_path: Path) -> None:
    store = tmp_path / "a-store-folder-with-a-rather-long-name" / "kernelwright-store.db"
    result = CliRunner().invoke(app, ["info"], env={"COLUMNS": "40", "KERNELWRIGHT_DB_URL": f"sqlite:///{store}"})
    assert result.exit_code == 0, result.output
    assert any(line.split() == ["store", f"sqlite:///{store}"] for line in result.output.splitlines()), result.output


def test_runs_show_says_how_many_turns_ran_and_why_a_trajectory_stopped_early(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kw.db'}"
    store = Store(url)
    filler = TraceFiller(store)
    task = make_task("activation/relu_like")
    filler.add(task, kernel("first"), Status.correct, speedup=1.2)
    filler.add(task, kernel("second"), Status.incorrect)
    store.set_run_config(filler.run_id, {"task_id": task.id, "optimize": {"platform": "cpu",
                                                                          "search": {"turns": 4}}})
    (traj,) = store.trajectories_for_run(filler.run_id)
    store.finish_trajectory(traj.id, "finished", "no new best in 1 turns")
    store.close()
    shown = " ".join(run(["runs", "show", filler.run_id, "--db-url", url], None).split())
    assert "(finished; 2 of 4 turns ran; stopped early: no new best in 1 turns)" in shown
    data = json.loads(run(["runs", "show", filler.run_id, "--json", "--db-url", url], None))
    (shown_traj,) = data["trajectories"]
    assert shown_traj["stopped_early"] and shown_traj["max_turns"] == 4 and len(shown_traj["turns"]) == 2


def test_runs_show_says_where_each_verdict_was_judged(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kw.db'}"
    store = Store(url)
    filler = TraceFiller(store)
    task = make_task("activation/relu_like")
    turn_id = filler.add(task, kernel("first"), Status.correct, speedup=1.2)
    (turn,) = [t for traj in store.trajectories_for_run(filler.run_id) for t in store.turns_for_trajectory(traj.id)]
    assert turn.id == turn_id and turn.evaluation_id is not None
    evaluation = store.get_evaluation(turn.evaluation_id)
    assert evaluation is not None
    moved = store.record_evaluation(task, kernel("first"), evaluation.result, node_id="f" * 20,
                                    node_address="10.0.0.7")
    store.set_turn_outcome(turn_id, "evaluated", candidate_id=evaluation.candidate_id, evaluation_id=moved)
    store.close()
    shown = run(["runs", "show", filler.run_id, "--db-url", url], None)
    assert f"{evaluation.result.hardware} @ 10.0.0.7" in shown
    (data,) = json.loads(run(["runs", "show", filler.run_id, "--json", "--db-url", url], None))["trajectories"]
    assert data["turns"][0]["node_address"] == "10.0.0.7" and data["turns"][0]["node_id"] == "f" * 20
