"""`kernelwright port` end to end: the suite's CUDA ReLU ported to `cpu` through the real CLI, Ray, SQLite and an
HTTP server speaking the OpenAI API, whose scripted reply is the suite's own CPU ReLU."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fake_openai import FakeOpenAI, Reply
from scripted_kernels import reply

from kernelwright.db import Store
from kernelwright.db.enums import RunStatus

SOLUTIONS = Path(__file__).resolve().parents[2] / "tasks" / "suite" / "activation" / "solutions"
pytestmark = pytest.mark.slow


def _cli(args: list[str], env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kernelwright.cli", *args], capture_output=True, text=True,
                          env=env, timeout=timeout)


def test_port_a_cuda_example_to_cpu(tmp_path: Path, ray_env: dict[str, str]) -> None:
    db, out = f"sqlite:///{tmp_path / 'kw.db'}", tmp_path / "relu_cpu.py"
    cuda_source = (SOLUTIONS / "relu.cuda.py").read_text()
    cpu_source = (SOLUTIONS / "relu.cpu.py").read_text()
    with FakeOpenAI([Reply(text=reply(cpu_source, "Ported: one OpenMP loop instead of the grid-stride kernel."))]) \
            as server:
        proc = _cli(["port", str(SOLUTIONS / "relu.cuda.py"), "--task", "activation/relu", "--to", "cpu",
                     "--provider", "openai", "--model", "fake-coder", "--base-url", server.base_url, "--db-url", db,
                     "--trajectories", "1", "--turns", "1", "--threads", "1", "--trials", "1", "--out", str(out),
                     "--json"], ray_env)
        prompts = server.user_prompts()
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    # The one candidate, the suite's CPU kernel, was judged correct on cpu and written out.
    assert summary["platform"] == "cpu" and summary["correct"] == 1 and summary["evaluated"] == 1
    assert summary["out"] == str(out) and out.read_text().endswith(cpu_source)
    # The first prompt carried the CUDA source as the kernel to port.
    assert len(prompts) == 1 and cuda_source.strip() in prompts[0] and "Port the CUDA C++ kernel" in prompts[0]

    store = Store(db)
    run = store.list_runs()[0]
    assert run.status is RunStatus.finished
    start = run.config["optimize"]["start"]
    assert start["platform"] == "cuda" and start["file"] == str(SOLUTIONS / "relu.cuda.py")
    shown = _cli(["runs", "show", run.id, "--db-url", db], ray_env)
    assert shown.returncode == 0 and "ported from" in shown.stdout and "relu.cuda.py (cuda" in shown.stdout
