"""A run started from the offline preset, printed back with `runs show --config` and rerun from that file,
stores an equal configuration (real CLI, Ray and SQLite)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kernelwright.db import Store

PRESET = Path(__file__).resolve().parents[2] / "configs" / "optimize-offline.yaml"
pytestmark = pytest.mark.slow


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "kernelwright.cli", *args], capture_output=True, text=True,
                          env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def test_preset_run_reruns_from_runs_show_config(tmp_path: Path, ray_env: dict[str, str]) -> None:
    db = f"sqlite:///{tmp_path / 'kw.db'}"
    out = tmp_path / "best.py"
    first = _cli(["optimize", "--config", str(PRESET), "--out", str(out), "--db-url", db, "--json",
                  "--threads", "1", "--trials", "1"], ray_env)
    assert '"status": "finished"' in first.stdout
    store = Store(db)
    (run,) = store.list_runs()
    stored = run.config["optimize"]  # type: ignore[index]
    # Options given on the command line override the file's values; the rest come from the file.
    assert stored["eval"]["correctness_trials"] == 1 and stored["eval"]["threads"] == 1
    assert stored["provider"]["name"] == "examples" and stored["task_id"] == "pooling/max_pool2d"

    shown = _cli(["runs", "show", run.id, "--config", "--db-url", db], ray_env).stdout
    assert shown.startswith(f"# Configuration of run {run.id}")
    assert yaml.safe_load(shown)["task"] == "pooling/max_pool2d"
    assert "task_source" not in yaml.safe_load(shown)  # the suite file is unchanged: its id suffices
    rerun_file = tmp_path / "rerun.yaml"
    rerun_file.write_text(shown)
    _cli(["optimize", "--config", str(rerun_file), "--db-url", db, "--json"], ray_env)
    newest = Store(db).list_runs()[0]
    assert newest.id != run.id
    assert newest.config["optimize"] == stored  # type: ignore[index]
