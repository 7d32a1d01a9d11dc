"""Row 22 through the CLI (in process): a stored run whose task id, stop reason, verdict message, model reply and
kernel source carry `HOSTILE` is listed and shown inert by `runs list`, `runs show`, `kernels list` and
`kernels show`."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner
from untrusted_text import HOSTILE, TASK_SOURCE, assert_clean, assert_inert, failed_result

from kernelwright.cli import app
from kernelwright.db import Store
from kernelwright.db.enums import RunKind, RunStatus, TurnOutcome
from kernelwright.tasks.loader import load_task_source


def _hostile_store(tmp_path: Path) -> tuple[str, str, int]:
    """A store with one finished optimize run of an imported task; its URL, the run and its kernel."""
    url = f"sqlite:///{tmp_path / 'kw.db'}"
    store = Store(url)
    task = load_task_source(TASK_SOURCE, "<hostile>", task_id=f"imported/{HOSTILE}")
    store.upsert_task(task)
    run_id = store.create_run(RunKind.optimize, {"task_id": task.id, "provider_label": HOSTILE,
                                                 "optimize": {"platform": "cpu"}})
    traj = store.add_trajectory(run_id, task.id, 0)
    turn = store.add_turn(traj, 0, "prompt", f"the reply: {HOSTILE}", model="m")
    evaluation = store.record_evaluation(task, f"# {HOSTILE}\nclass ModelNew: ...\n",
                                         failed_result().model_copy(update={"task_id": task.id}), turn_id=turn)
    row = store.get_evaluation(evaluation)
    assert row is not None
    store.set_turn_outcome(turn, TurnOutcome.evaluated, candidate_id=row.candidate_id, evaluation_id=evaluation)
    store.finish_trajectory(traj, RunStatus.finished, HOSTILE)
    store.finish_run(run_id)
    store.close()
    return url, run_id, row.candidate_id


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def test_runs_list_and_show_print_stored_text_inert(tmp_path: Path) -> None:
    url, run_id, _ = _hostile_store(tmp_path)
    listed = assert_clean(_invoke("runs", "list", "--db-url", url))
    assert "imported/[bold green]correct[" in listed  # the task column is cut to fit 80 columns
    shown = assert_inert(_invoke("runs", "show", run_id, "--replies", "--db-url", url))
    assert "runtime_error" in shown and "the reply: [bold green]correct[/]" in shown


def test_kernels_show_prints_the_task_id_and_source_inert(tmp_path: Path) -> None:
    url, _, kernel_id = _hostile_store(tmp_path)
    shown = assert_inert(_invoke("kernels", "show", str(kernel_id), "--source", "--db-url", url))
    assert f"kernel {kernel_id}: task imported/[bold green]correct[/]" in shown
    assert "runtime_error (harness " in shown and "size None" not in shown  # a verdict stored without its size


def test_kernels_list_prints_the_task_id_inert(tmp_path: Path) -> None:
    url, _, kernel_id = _hostile_store(tmp_path)
    listed = assert_clean(_invoke("kernels", "list", "--all", "--db-url", url))
    assert f"│ {kernel_id} " in listed and "imported/[bold green]" in listed
