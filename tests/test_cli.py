"""End to end: the real `kernelwright` CLI in a subprocess, with a real SQLite store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

RELU_TASK = "activation/relu"


def run_cli(*args: str, db: Path, check_exit: int | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KERNELWRIGHT_DB_URL=f"sqlite:///{db}")
    proc = subprocess.run([sys.executable, "-m", "kernelwright.cli", *args], capture_output=True, text=True,
                          env=env, timeout=600)
    if check_exit is not None:
        assert proc.returncode == check_exit, proc.stdout + proc.stderr
    return proc


def count(db: Path, table: str) -> int:
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


@pytest.mark.slow
@pytest.mark.quiet  # the example's verdict is asserted `correct`: timed, not `unstable`
def test_eval_example_json_is_one_object_and_stored(tmp_path: Path) -> None:
    db = tmp_path / "kw.db"
    proc = run_cli("eval", RELU_TASK, "example", "--json", db=db, check_exit=0)
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert data["status"] == "correct", data
    assert data["reason"] == "ok" and data["stage"] == "done"
    lo, hi = data["speedup_ci"]
    assert lo <= data["speedup"] <= hi
    assert data["baseline_ms"] > 0 and data["candidate_ms"] > 0
    assert data["platform"] == "cpu" and data["harness_version"]
    assert count(db, "evaluation") == 1 and count(db, "candidate") == 1 and count(db, "task") == 1


@pytest.mark.slow
@pytest.mark.quiet  # the example's table row is asserted timed, with its interval
def test_eval_table_and_model_new_is_model(tmp_path: Path) -> None:
    db = tmp_path / "kw.db"
    proc = run_cli("eval", RELU_TASK, "example", "--no-store", db=db, check_exit=0)
    assert "correct" in proc.stdout and "speedup" in proc.stdout and "95% CI" in proc.stdout
    same = tmp_path / "same.py"
    same.write_text(Path("tasks/suite/activation/relu.py").read_text() + "\nModelNew = Model\n")
    rejected = json.loads(run_cli("eval", RELU_TASK, str(same), "--json", "--no-store", db=db, check_exit=0).stdout)
    assert rejected["status"] == "rejected" and rejected["reason"] == "no_kernel"
    torch_track = json.loads(run_cli("eval", RELU_TASK, str(same), "--json", "--no-store", "--allow-torch",
                                     db=db, check_exit=0).stdout)
    # The same model on both sides: its interval holds 1.0, and on a busy machine it may be wide (`unstable`).
    assert torch_track["status"] in ("correct", "unstable"), torch_track
    assert torch_track["speedup_ci"][0] <= torch_track["speedup_ci"][1]
    assert not db.exists() or count(db, "evaluation") == 0


def test_bad_task_file_exits_2_and_stores_nothing(tmp_path: Path) -> None:
    db = tmp_path / "kw.db"
    bad = tmp_path / "bad_task.py"
    bad.write_text("import torch\nclass Model(torch.nn.Module):\n    pass\n")
    sol = tmp_path / "sol.py"
    sol.write_text("class ModelNew: pass\n")
    proc = run_cli("eval", str(bad), str(sol), db=db, check_exit=2)
    assert "bad_task.py" in proc.stderr and "missing get_inputs, get_init_inputs" in proc.stderr
    as_json = run_cli("eval", str(bad), str(sol), "--json", db=db, check_exit=2)
    verdict = json.loads(as_json.stdout)  # the verdict object, as for any outcome
    assert verdict["status"] == "refused" and verdict["reason"] == "task_error" and verdict["speedup"] is None
    assert "missing get_inputs" in verdict["message"]
    assert not db.exists() or count(db, "evaluation") == 0


def test_bad_usage_exits_2(tmp_path: Path) -> None:
    db = tmp_path / "kw.db"
    assert "no such solution file" in run_cli("eval", RELU_TASK, str(tmp_path / "nope.py"), db=db,
                                              check_exit=2).stderr
    assert "unknown platform" in run_cli("eval", RELU_TASK, "example", "--platform", "tpu", db=db,
                                         check_exit=2).stderr
    assert "no such task" in run_cli("eval", "nope/nothing", "example", db=db, check_exit=2).stderr
    run_cli("eval", db=db, check_exit=2)


def test_solution_syntax_error_is_a_verdict(tmp_path: Path) -> None:
    db = tmp_path / "kw.db"
    sol = tmp_path / "broken.py"
    sol.write_text("class ModelNew(:\n")
    data = json.loads(run_cli("eval", RELU_TASK, str(sol), "--json", db=db, check_exit=0).stdout)
    assert data["status"] == "build_error" and data["reason"] == "syntax_error"
    assert count(db, "evaluation") == 1


def test_tasks_list_and_show(tmp_path: Path) -> None:
    db = tmp_path / "kw.db"
    listing = run_cli("tasks", "list", db=db, check_exit=0).stdout
    assert "activation/relu" in listing and "per category:" in listing and "per level:" in listing
    only = run_cli("tasks", "list", "--category", "matmul", db=db, check_exit=0).stdout
    assert "activation/relu" not in only
    shown = run_cli("tasks", "show", RELU_TASK, db=db, check_exit=0).stdout
    assert "input groups" in shown and "def get_inputs" in shown
    assert run_cli("tasks", "show", "nope/nothing", db=db, check_exit=2).returncode == 2
