"""The `traces export` and `train openai` commands through the real CLI (the OpenAI API on a loopback server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fake_openai_ft import FakeFineTuning
from trace_fill import TraceFiller, kernel, make_task

from kernelwright.db import Store
from kernelwright.evaluator.result import Status
from kernelwright.tasks.model import Category


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kernelwright.cli", *args], capture_output=True, text=True,
                          env=env or dict(os.environ), timeout=300)


def _filled(tmp_path: Path) -> str:
    db = f"sqlite:///{tmp_path / 'kw.db'}"
    fill = TraceFiller(Store(db))
    fill.add(make_task("activation/relu"), kernel("relu"), Status.correct, 2.0)
    fill.add(make_task("matmul/gemm", Category.matmul), kernel("gemm"), Status.correct, 1.5)
    fill.add(make_task("matmul/gemm", Category.matmul), kernel("gemm-bad"), Status.incorrect)
    return db


def test_export_then_openai_fine_tune_waits_for_the_job(tmp_path: Path) -> None:
    db = _filled(tmp_path)
    data = tmp_path / "openai.jsonl"
    proc = _cli("traces", "export", "--format", "openai", "--out", str(data), "--db-url", db)
    assert proc.returncode == 0, proc.stderr
    assert "activation" in proc.stdout and "matmul" in proc.stdout and "1 not correct" in proc.stdout
    assert len(data.read_text().splitlines()) == 2

    env = dict(os.environ, OPENAI_API_KEY="sk-test")
    with FakeFineTuning() as server:
        proc = _cli("train", "openai", "--model", "gpt-4o-mini", "--data", str(data), "--base-url",
                    server.base_url, "--suffix", "kw", "--epochs", "2", "--wait", "--poll", "0.01", env=env)
        uploaded = list(server.files.values())
        created = server.created
    assert proc.returncode == 0, proc.stderr
    # The uploaded file is the export, byte for byte; the job names it and the requested settings.
    assert uploaded == [data.read_bytes()]
    assert created[0]["training_file"] == "file-1" and created[0]["model"] == "gpt-4o-mini"
    assert created[0]["suffix"] == "kw"
    assert created[0]["method"]["supervised"]["hyperparameters"]["n_epochs"] == 2
    # One progress line per status change, ending with the fine-tuned model.
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("job ftjob-1")]
    assert [ln.split(": ")[1].split(",")[0] for ln in lines] == ["queued", "running", "succeeded"]
    assert "ft:gpt-4o-mini:kw" in lines[-1]


def test_openai_refuses_an_sft_export_and_a_failed_job_exits_1(tmp_path: Path) -> None:
    db = _filled(tmp_path)
    sft = tmp_path / "sft.jsonl"
    assert _cli("traces", "export", "--format", "sft", "--out", str(sft), "--db-url", db).returncode == 0
    env = dict(os.environ, OPENAI_API_KEY="sk-test")
    with FakeFineTuning() as server:
        proc = _cli("train", "openai", "--model", "gpt-4o-mini", "--data", str(sft), "--base-url", server.base_url,
                    env=env)
        assert server.files == {}  # refused before anything was uploaded
    assert proc.returncode == 2 and "accepts only 'messages'" in proc.stderr

    data = tmp_path / "openai.jsonl"
    assert _cli("traces", "export", "--format", "openai", "--out", str(data), "--db-url", db).returncode == 0
    with FakeFineTuning(statuses=["running", "failed"]) as server:
        proc = _cli("train", "openai", "--model", "gpt-4o-mini", "--data", str(data), "--base-url", server.base_url,
                    "--wait", "--poll", "0.01", "--json", env=env)
    assert proc.returncode == 1
    assert json.loads(proc.stdout.splitlines()[-1])["status"] == "failed"


def test_export_json_report(tmp_path: Path) -> None:
    db = _filled(tmp_path)
    proc = _cli("traces", "export", "--format", "grpo", "--out", str(tmp_path / "g.jsonl"), "--json", "--db-url", db)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["records"] == 2 and report["report"]["categories"] == {"activation": 1, "matmul": 1}


def test_train_help_lists_the_three_trainers() -> None:
    proc = _cli("train", "--help")
    assert proc.returncode == 0 and all(name in proc.stdout for name in ("sft", "grpo", "openai"))
