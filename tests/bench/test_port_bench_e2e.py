"""`kernelwright bench --port-from cuda` end to end on `cpu`: the real CLI, Ray, SQLite and the jail, with an HTTP
server speaking the OpenAI API. Of the two selected tasks only ReLU has a CUDA kernel (the suite's example), so the
port track covers it alone; its search starts from the CUDA source (the scripted reply, the suite's CPU ReLU, is
correct), and the run from scratch over the same task gets a reply with no code. The comparison says both."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fake_openai import FakeOpenAI, Reply

from kernelwright.db import Store

SOLUTIONS = Path(__file__).resolve().parents[2] / "tasks" / "suite" / "activation" / "solutions"
pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_port_track_beside_from_scratch(tmp_path: Path, ray_env: dict[str, str]) -> None:
    db = f"sqlite:///{tmp_path / 'kw.db'}"
    cuda_source = (SOLUTIONS / "relu.cuda.py").read_text()
    cpu_source = (SOLUTIONS / "relu.cpu.py").read_text()
    script = [Reply(text=f"Ported to one OpenMP loop.\n\n```python\n{cpu_source}```\n"),
              Reply(text="I would rather not write this kernel.")]
    with FakeOpenAI(script) as server:
        proc = subprocess.run(
            [sys.executable, "-m", "kernelwright.cli", "bench", "--tasks", "activation/relu", "--tasks",
             "activation/gelu", "--port-from", "cuda", "--platform", "cpu", "--provider", "openai", "--model",
             "fake-coder", "--base-url", server.base_url, "--samples", "1", "--turns", "1", "--threads", "1",
             "--trials", "1", "--no-compile-baseline", "--db-url", db, "--json"],
            capture_output=True, text=True, env=ray_env, timeout=900)
        prompts = server.user_prompts()
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    comparison = result["comparison"]
    assert comparison["port_from"] == "cuda" and comparison["platform"] == "cpu"
    assert comparison["left_out"] == ["activation/gelu"]
    assert comparison["ported"]["tasks"] == 1 and comparison["ported"]["correct"] == 1
    assert comparison["from_scratch"]["tasks"] == 1 and comparison["from_scratch"]["correct"] == 0
    assert "ported from cuda" in result["ported"]["selection"]
    assert "ported from" not in result["from_scratch"]["selection"]
    # The port run's prompt carried the CUDA kernel to port; the run from scratch's did not.
    assert len(prompts) == 2 and cuda_source.strip() in prompts[0] and "Port the CUDA C++ kernel" in prompts[0]
    assert cuda_source.strip() not in prompts[1]

    runs = {run.id: run.config["bench"] for run in Store(db).list_runs()}
    port = runs[comparison["ported"]["run_id"]]
    assert port["port_from"] == "cuda" and port["tasks"][0]["start"]["platform"] == "cuda"
    assert runs[comparison["from_scratch"]["run_id"]]["port_from"] is None
