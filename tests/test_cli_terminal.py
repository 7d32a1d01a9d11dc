"""A CLI that fits a terminal: listings keep one line per row in 80 columns, `runs show` prints the model's
raw replies on request, and `db current` does not send users of the embedded store to a needless upgrade."""

from __future__ import annotations

import sys
from pathlib import Path

from typer.testing import CliRunner

from kernelwright.agent.summary import summarize_run
from kernelwright.cli import app
from kernelwright.commands.optimize import next_commands
from kernelwright.db import Store
from kernelwright.evaluator.result import Status

sys.path.insert(0, str(Path(__file__).parent / "rl"))
from trace_fill import TraceFiller, kernel, make_task  # noqa: E402


def invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), terminal_width=80, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.output


def _filled(tmp_path: Path) -> tuple[str, str]:
    url = f"sqlite:///{tmp_path / 'kw.db'}"
    store = Store(url)
    filler = TraceFiller(store)
    task = make_task("normalization/a_rather_long_task_identifier_for_width")
    filler.add(task, kernel("first"), Status.incorrect)
    filler.add(task, kernel("second"), Status.correct, speedup=1.7)
    store.set_run_config(filler.run_id, {"task_id": task.id, "optimize": {"platform": "cpu"}})
    store.close()
    return url, filler.run_id


def test_runs_list_fits_80_columns_and_shows_the_platform(tmp_path: Path) -> None:
    url, run_id = _filled(tmp_path)
    listed = invoke("runs", "list", "--db-url", url)
    assert run_id in listed and "cpu" in listed and "normalization/a_rath" in listed
    assert max(len(line) for line in listed.splitlines()) <= 80


def test_tasks_list_fits_80_columns() -> None:
    listed = invoke("tasks", "list", "--source", "suite")
    rows = [line for line in listed.splitlines() if "/" in line]
    assert len(rows) == 171
    assert max(len(line) for line in listed.splitlines()) <= 80


def test_runs_show_prints_raw_replies_on_request(tmp_path: Path) -> None:
    url, run_id = _filled(tmp_path)
    plain = invoke("runs", "show", run_id, "--db-url", url)
    assert "name = 'second'" not in plain
    with_replies = invoke("runs", "show", run_id, "--replies", "--db-url", url)
    assert "the model's reply" in with_replies and "name = 'second'" in with_replies


def test_db_current_on_a_fresh_embedded_store_asks_for_nothing(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["db", "current", "--db-url", f"sqlite:///{tmp_path / 'fresh.db'}"])
    assert result.exit_code == 0
    assert "kernelwright db upgrade" not in result.output
    assert "upgrades it itself" in result.output


def test_runs_show_keeps_the_kernel_column_at_80_columns(tmp_path: Path) -> None:
    url, run_id = _filled(tmp_path)
    store = Store(url)
    ids = [t.candidate_id for traj in store.trajectories_for_run(run_id) for t in store.turns_for_trajectory(traj.id)]
    store.close()
    shown = invoke("runs", "show", run_id, "--db-url", url)
    header = next(line for line in shown.splitlines() if "turn" in line and "verdict" in line)
    assert "kernel" in header and "cand" not in header
    rows = [line.split()[1] for line in shown.splitlines() if line.split() and line.split()[0].isdigit()]
    assert rows == [str(i) for i in ids]
    assert max(len(line) for line in shown.splitlines()) <= 80


def test_kernels_list_finds_kernels_with_their_speedup_at_80_columns(tmp_path: Path) -> None:
    url, _ = _filled(tmp_path)
    listed = invoke("kernels", "list", "--db-url", url)
    assert "1.70x" in listed and "sweep first" in listed and "cpu" in listed
    assert "normalization/a_" in listed and "│ 2  │" in listed
    assert max(len(line) for line in listed.splitlines()) <= 80
    assert "incorrect" not in listed and "incorrect" in invoke("kernels", "list", "--all", "--db-url", url)


def test_optimize_names_the_answers_kernel_and_the_commands_that_take_it(tmp_path: Path) -> None:
    url, run_id = _filled(tmp_path)
    summary = summarize_run(Store(url), run_id)
    assert summary.answer is not None
    lines = next_commands(summary)
    k = summary.answer.candidate_id
    assert lines[0].startswith(f"answer: kernel {k} ")
    assert any(f"kernelwright sweep {k}" in line for line in lines)
    assert any(f"kernelwright export {k} --out DIR" in line for line in lines)
    assert next_commands(summary.model_copy(update={"answer": None})) == []
