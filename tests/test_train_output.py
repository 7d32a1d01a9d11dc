"""`kernelwright train sft` prints one clean summary line: the libraries' progress bars, per-step log dicts and
deprecation warnings go to `<out>/train.log`, not to the terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("trl")

sys.path.insert(0, str(Path(__file__).parent / "rl"))
from tiny_lm import build_tiny_model  # noqa: E402

pytestmark = pytest.mark.slow


def test_training_prints_a_summary_and_logs_the_libraries(tmp_path: Path) -> None:
    messages = [{"role": "user", "content": "write relu"}, {"role": "assistant", "content": "class ModelNew: pass"}]
    data = tmp_path / "sft.jsonl"
    data.write_text(json.dumps({"messages": messages}) + "\n")
    base = build_tiny_model(tmp_path / "base", [m["content"] for m in messages])
    out = tmp_path / "out"
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-m", "kernelwright.cli", "train", "sft", "--model", str(base), "--data",
                           str(data), "--out", str(out), "--steps", "2"], capture_output=True, text=True, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr == "", done.stderr[-3000:]
    (line,) = done.stdout.splitlines()
    assert line.startswith("2 steps, ") and f"model saved to {out} (library output: {out / 'train.log'})" in line
    log = (out / "train.log").read_text()
    assert "it/s" in log and "'loss'" in log  # the trainer's own progress and per-step logs, kept
