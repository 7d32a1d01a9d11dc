"""`benchmarks/closed_loop.py`, shortened, on the real packaged base: one training task and one held-out task, one
sample of a few tokens each, one SFT step, one GRPO step. Every phase must run and the table must have its rows;
what the numbers are is the benchmark's business (a few tokens build nothing), and wall time is never asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("trl")

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
BASE = "smollm2-135m"
PHASES = ["traces (examples bench + export)", "base model bench", "train sft", "tuned model bench", "train grpo"]


# Five CLI runs, each loading the model or starting Ray, and two training steps over ~3,000-token prompts: minutes
# on an idle machine, many more on a loaded one; the suite's 600 s default would stop it half way.
@pytest.mark.timeout(2400)
def test_the_shortened_loop_runs_every_phase(base_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = dict(os.environ, KERNELWRIGHT_HOME=str(base_home))
    # pooling/max_pool2d: its example kernel is many times faster than eager, so even a loaded machine exports it.
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "closed_loop.py"), "--model", BASE,
                           "--train-tasks", "pooling/max_pool2d", "--held-out-tasks", "activation/softsign",
                           "--samples", "1", "--max-tokens", "4", "--sft-steps", "1", "--grpo-steps", "1",
                           "--grpo-generations", "2", "--grpo-tasks", "1", "--work", str(tmp_path / "work"),
                           "--out", str(out)], capture_output=True, text=True, env=env, timeout=2300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads((out / "closed_loop.json").read_text())
    assert list(result["phase_s"]) == PHASES
    assert [(s["model"], s["split"], s["tasks"], s["turns"]) for s in result["shares"]] == [
        ("base", "train", 1, 1), ("base", "held-out", 1, 1), ("SFT", "train", 1, 1), ("SFT", "held-out", 1, 1)]
    assert result["sft_records"] == 1 and result["sft_steps"] == 1
    assert [(g["step"], len(g["rewards"])) for g in result["grpo"]] == [(1, 2)]
    assert (out / "closed_loop.png").stat().st_size > 0
    for row in ("| base, train | 1 | 1 |", "| base, held-out | 1 | 1 |", "| SFT, train | 1 | 1 |",
                "| SFT, held-out | 1 | 1 |", "| 1 | "):
        assert row in proc.stdout
