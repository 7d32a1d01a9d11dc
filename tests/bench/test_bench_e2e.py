"""`kernelwright bench` end to end: real CLI, real Ray, real SQLite; killed with SIGKILL midway, resumed, ranked,
reported and re-scored."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kernelwright.db import Store
from kernelwright.db.enums import BaselineKind, RunStatus
from kernelwright.evaluator.result import Reason

pytestmark = pytest.mark.slow

TASKS = ["pooling/max_pool2d", "activation/relu", "activation/softsign"]  # softsign: held out, no example


def _cli(args: list[str], env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kernelwright.cli", *args], capture_output=True, text=True,
                          env=env, timeout=timeout)


def _evaluation_ids(db_path: Path) -> set[int]:
    if not db_path.exists():
        return set()
    try:
        with sqlite3.connect(db_path) as conn:
            return {row[0] for row in conn.execute("SELECT id FROM evaluation")}
    except sqlite3.OperationalError:  # the schema is not there yet
        return set()


def test_sigkill_resume_leaderboard_report_rescore(tmp_path: Path, ray_env: dict[str, str]) -> None:
    db_path = tmp_path / "kw.db"
    db = f"sqlite:///{db_path}"
    args = ["bench", *(a for t in TASKS for a in ("--tasks", t)), "--provider", "examples", "--samples", "2",
            "--turns", "1", "--threads", "1", "--trials", "1", "--no-compile-baseline", "--db-url", db]
    proc = subprocess.Popen([sys.executable, "-m", "kernelwright.cli", *args], env=ray_env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while not _evaluation_ids(db_path) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    before = _evaluation_ids(db_path)
    assert before and proc.poll() is None, proc.communicate()[1][-3000:]
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    # A SIGKILLed driver can't stop the local Ray it started; a user would run `ray stop`.
    subprocess.run(["pkill", "-9", "-f", ray_env["RAY_TMPDIR"]], check=False)
    time.sleep(1)

    store = Store(db)
    run = store.list_runs()[0]
    assert run.status is RunStatus.running  # nothing had the chance to close it
    before = _evaluation_ids(db_path)  # whatever was committed before the kill
    resumed = _cli(["bench", "--resume", run.id, "--db-url", db, "--json"], ray_env)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    summary = json.loads(resumed.stdout)
    store = Store(db)
    assert store.get_run(run.id).status is RunStatus.finished  # type: ignore[union-attr]
    after = _evaluation_ids(db_path)
    assert before <= after, "stored evaluations were lost"
    # No candidate was judged twice: the resumed run reused every stored verdict the store may serve (a timing
    # left unsettled on a loaded machine is judged again, by design).
    with sqlite3.connect(db_path) as conn:
        verdicts = conn.execute("SELECT candidate_id, reason FROM evaluation ORDER BY id").fetchall()
    for candidate in {c for c, _ in verdicts}:
        earlier = [reason for c, reason in verdicts if c == candidate][:-1]
        assert all(r in (Reason.unstable_timing.value, Reason.harness_error.value) for r in earlier), verdicts
    trajectories = store.trajectories_for_run(run.id)
    assert len(trajectories) == 6 and all(t.status is RunStatus.finished for t in trajectories)
    # softsign has no shipped example: the examples provider is not asked, and its samples say why.
    for t in trajectories:
        turns = len(store.turns_for_trajectory(t.id))
        if t.task_id == "activation/softsign":
            assert turns == 0 and "no shipped example for activation/softsign" in (t.stop_reason or "")
        else:
            assert turns == 1
    hw = store.list_runs()[0].config["hardware_id"]  # type: ignore[index]
    for task_id in TASKS:
        eager = store.latest_baseline(task_id, hw, "cpu", BaselineKind.eager)
        assert eager is not None and eager.median_ms and eager.median_ms > 0
    assert summary["overall"]["tasks"] == 3
    assert summary["overall"]["fast_p"]["0"] == pytest.approx(2 / 3)  # softsign has no example: a failure
    assert summary["overall"]["pass_at_k"]["2"] == pytest.approx(2 / 3)
    assert summary["overall"]["fast_p"]["1"] >= 1 / 3  # max_pool2d's example is ~10x

    board = _cli(["leaderboard", "--format", "json", "--split", "public", "--db-url", db], ray_env)
    assert board.returncode == 0, board.stderr
    entry = json.loads(board.stdout)["runs"][0]
    assert entry["run_id"] == run.id and entry["split"] == "public" and entry["metrics"]["tasks"] == 2
    assert "split: public tasks (held-out excluded)" in json.loads(board.stdout)["title"]
    table = _cli(["leaderboard", "--db-url", db], ray_env)
    assert run.id in table.stdout and "split: all tasks" in table.stdout

    report = _cli(["report", run.id, "--out", str(tmp_path / "report"), "--db-url", db], ray_env)
    assert report.returncode == 0, report.stderr
    assert (tmp_path / "report" / "fast_p.png").read_bytes()[:4] == b"\x89PNG"
    assert "pooling/max_pool2d" in (tmp_path / "report" / "report.md").read_text()

    # An old harness had called relu's kernel wrong: the re-score judges it again and the board follows.
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE evaluation SET harness_version = '1.1.0', status = 'incorrect', "
                     "reason = 'output_mismatch', speedup = NULL WHERE task_id = 'activation/relu'")
    stale = _cli(["leaderboard", "--format", "json", "--db-url", db], ray_env)
    assert json.loads(stale.stdout)["runs"][0]["metrics"]["correct_rate"] == pytest.approx(1 / 3)
    rescored = _cli(["rescore", run.id, "--json", "--db-url", db], ray_env)
    assert rescored.returncode == 0, rescored.stderr[-3000:]
    changes = json.loads(rescored.stdout)["changes"]
    assert len(changes) == 1 and changes[0]["task_id"] == "activation/relu" and changes[0]["changed"]
    # Judged correct again; relu's kernel is close to 1x, so on a busy machine its timing may not settle (unstable:
    # outputs verified, untimed), which the metrics count as correct too.
    assert changes[0]["old_status"] == "incorrect" and changes[0]["new_status"] in ("correct", "unstable")
    fresh = json.loads(_cli(["leaderboard", "--format", "json", "--db-url", db], ray_env).stdout)["runs"][0]
    assert fresh["rescored"] and fresh["metrics"]["correct_rate"] == pytest.approx(2 / 3)
