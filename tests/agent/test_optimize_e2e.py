"""`kernelwright optimize` end to end: real CLI, real Ray, real SQLite, a real HTTP server speaking the OpenAI
API with scripted replies (garbage, a compile error, a wrong result, a slow and a fast correct kernel)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fake_openai import FakeOpenAI, Reply
from scripted_kernels import BROKEN, FAST, SLOW, WRONG, reply

from kernelwright.db import Store
from kernelwright.db.enums import RunStatus, TurnOutcome

TASK = Path(__file__).parent / "tasks" / "affine_relu.py"
pytestmark = pytest.mark.slow


def _cli(args: list[str], env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kernelwright.cli", *args], capture_output=True, text=True,
                          env=env, timeout=timeout)


def _optimize_args(server: FakeOpenAI, db: str, *extra: str) -> list[str]:
    return ["optimize", str(TASK), "--provider", "openai", "--model", "fake-coder", "--base-url", server.base_url,
            "--db-url", db, "--trajectories", "1", "--threads", "1", "--trials", "1", *extra]


@pytest.mark.quiet  # asserts the fast kernel is verified faster
def test_feedback_turns_and_the_fast_kernel_win(tmp_path: Path, ray_env: dict[str, str]) -> None:
    db = f"sqlite:///{tmp_path / 'kw.db'}"
    out = tmp_path / "best.py"
    script = [
        Reply(text="I think the answer is 42."),
        Reply(text=reply(BROKEN)),
        Reply(text=reply(WRONG)),
        Reply(text=reply(SLOW)),
        # Two blocks: the slow kernel quoted first, the fast one last; the last one is the candidate.
        Reply(text=f"Before:\n```python\n{SLOW}```\nAfter fusing and vectorizing:\n```python\n{FAST}```\n"),
    ]
    with FakeOpenAI(script) as server:
        proc = _cli(_optimize_args(server, db, "--turns", "5", "--max-failures", "4", "--patience", "3",
                                   "--out", str(out)), ray_env)
        prompts = server.user_prompts()
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(prompts) == 5
    # What each prompt carried: nothing, then the previous turn's verdict.
    assert "What the evaluator said" not in prompts[0]
    assert "no fenced ```python code block" in prompts[1]
    assert "did not build" in prompts[2] and "undeclared_thing" in prompts[2]
    assert "output was wrong" in prompts[3] and "Max abs error" in prompts[3]
    assert "It was correct" in prompts[4] and "not yet a verified speedup" in prompts[4]
    # The slow correct kernel is now an exemplar with its measured speedup.
    assert "Earlier candidates for this task" in prompts[4] and "affine_relu_slow" in prompts[4]

    store = Store(db)
    run = store.list_runs()[0]
    assert run.status is RunStatus.finished and run.config["provider_label"] == "openai:fake-coder"
    traj = store.trajectories_for_run(run.id)[0]
    turns = store.turns_for_trajectory(traj.id)
    assert [t.outcome for t in turns] == [TurnOutcome.no_code] + [TurnOutcome.evaluated] * 4
    verdicts = [store.get_evaluation(t.evaluation_id).result for t in turns[1:]]  # type: ignore[union-attr,arg-type]
    assert [v.status.value for v in verdicts] == ["build_error", "incorrect", "correct", "correct"]
    slow, fast = verdicts[2], verdicts[3]
    assert slow.speedup is not None and fast.speedup is not None and fast.speedup > 1.0 > slow.speedup
    assert all(t.prompt_tokens and t.completion_tokens and t.model == "fake-coder" for t in turns)
    assert json.loads(turns[0].prompt)[0]["role"] == "system"
    written = out.read_text()
    assert written.endswith(FAST) and written.startswith("# Kernelwright kernel")  # a header, then the kernel
    assert "verified speedup" in proc.stdout and str(out) in proc.stdout

    shown = _cli(["runs", "show", run.id, "--json", "--db-url", db], ray_env)
    data = json.loads(shown.stdout)
    assert data["answer"]["turn"] == 4 and [t["outcome"] for t in data["trajectories"][0]["turns"]] == [
        "no_code", "evaluated", "evaluated", "evaluated", "evaluated"]
    listed = _cli(["runs", "list", "--db-url", db], ray_env)
    assert run.id in listed.stdout


def test_streaming_replies_and_a_trajectory_that_keeps_failing(tmp_path: Path, ray_env: dict[str, str]) -> None:
    db = f"sqlite:///{tmp_path / 'kw.db'}"
    with FakeOpenAI([Reply(text="no idea"), Reply(text="still thinking")]) as server:
        proc = _cli(_optimize_args(server, db, "--turns", "5", "--max-failures", "2", "--stream", "--json"),
                    ray_env)
        assert all(r.get("stream") for r in server.requests)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    assert summary["no_code"] == 2 and summary["turns"] == 2 and summary["answer"] is None
    assert summary["stop_reasons"] == ["trajectory 0: 2 failed turns in a row"]
    assert summary["message"] == "no correct candidate was found"


def test_endpoint_down_fails_fast(tmp_path: Path, ray_env: dict[str, str]) -> None:
    proc = _cli(["optimize", str(TASK), "--base-url", "http://127.0.0.1:9/v1", "--db-url",
                 f"sqlite:///{tmp_path / 'kw.db'}"], ray_env, timeout=120)
    assert proc.returncode == 1
    assert "cannot reach http://127.0.0.1:9/v1" in proc.stderr and "--base-url" in proc.stderr
    assert Store(f"sqlite:///{tmp_path / 'kw.db'}").list_runs() == []


def test_missing_key_says_what_to_set(tmp_path: Path, ray_env: dict[str, str]) -> None:
    env = {k: v for k, v in ray_env.items() if k != "OPENAI_API_KEY"}
    proc = _cli(["optimize", str(TASK), "--base-url", "https://api.example.com/v1", "--db-url",
                 f"sqlite:///{tmp_path / 'kw.db'}"], env, timeout=120)
    assert proc.returncode == 2 and "set OPENAI_API_KEY" in proc.stderr


def test_ctrl_c_then_resume_skips_stored_evaluations(tmp_path: Path, ray_env: dict[str, str]) -> None:
    db = f"sqlite:///{tmp_path / 'kw.db'}"
    hold = threading.Event()
    # Turn 1 is judged; the model "hangs" on turn 2 and the user presses Ctrl-C.
    with FakeOpenAI([Reply(text=reply(WRONG)), Reply(text="never delivered", hold=hold)]) as server:
        proc = subprocess.Popen([sys.executable, "-m", "kernelwright.cli",
                                 *_optimize_args(server, db, "--turns", "3", "--max-failures", "3")],
                                env=ray_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 600
        while len(server.requests) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert len(server.requests) == 2, proc.communicate()[1][-3000:]
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
        hold.set()
    assert proc.returncode == 130, stderr[-3000:]
    store = Store(db)
    run = store.list_runs()[0]
    assert run.status is RunStatus.interrupted and f"--resume {run.id}" in stderr
    evaluations_before = len(store.evaluations_for_task(run.config["task_id"]))  # type: ignore[index]
    assert evaluations_before == 1

    # The resumed run repeats the wrong kernel (served from the cache), then fails once more and stops.
    with FakeOpenAI([Reply(text=reply(WRONG, "Same again.")), Reply(text="nothing")]) as server:
        # The stored config is reused; the endpoint may move between the two sessions.
        resumed = _cli(["optimize", "--resume", run.id, "--base-url", server.base_url, "--db-url", db, "--json"],
                       ray_env)
        assert "output was wrong" in server.user_prompts()[0]
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    store = Store(db)
    assert store.get_run(run.id).status is RunStatus.finished  # type: ignore[union-attr]
    turns = store.turns_for_trajectory(store.trajectories_for_run(run.id)[0].id)
    assert [t.outcome for t in turns] == [TurnOutcome.evaluated, TurnOutcome.cached, TurnOutcome.no_code]
    assert len(store.evaluations_for_task(run.config["task_id"])) == evaluations_before  # type: ignore[index]
