"""Paths in a --config file resolve relative to the file (not the working directory), options given on the
command line stay relative to where the command runs, and a local model folder that is not there is an error at
once (never tried as a Hugging Face id)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kernelwright.cli import app
from kernelwright.config.commands import GrpoCommand, OptimizeCommand, SftCommand

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_file_paths_resolve_from_the_file(tmp_path: Path) -> None:
    from kernelwright.config.files import resolve_paths

    base = tmp_path / "exp"
    sft = resolve_paths(SftCommand, {"model": "models/base", "data": "../sft.jsonl", "output_dir": "/abs/out",
                                     "lora": True}, base)
    assert sft == {"model": str(base / "models/base"), "data": str(tmp_path / "sft.jsonl"), "output_dir": "/abs/out",
                   "lora": True}
    # A task is a file only when it ends in .py; suite and imported ids are left as they are.
    assert resolve_paths(OptimizeCommand, {"task": "op.py", "out": "best.py"}, base) == {
        "task": str(base / "op.py"), "out": str(base / "best.py")}
    assert resolve_paths(OptimizeCommand, {"task": "pooling/max_pool2d"}, base) == {"task": "pooling/max_pool2d"}
    assert resolve_paths(GrpoCommand, {"tasks": ["activation/relu", "ops/mine.py"]}, base) == {
        "tasks": ["activation/relu", str(base / "ops/mine.py")]}
    # A model's value that names a base stays that name (resolved to its prepared folder when the command runs).
    assert resolve_paths(GrpoCommand, {"model": "smollm2-135m"}, base) == {"model": "smollm2-135m"}


def test_the_sft_preset_finds_its_files_from_the_repository_root(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The preset names ../sft.jsonl: run from another folder it still means the repository's root (checked
    before the base model is prepared)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KERNELWRIGHT_HOME", str(tmp_path / "home"))
    result = CliRunner().invoke(app, ["train", "sft", "--config", str(CONFIGS / "train-sft.yaml")])
    assert result.exit_code != 0
    assert f"training data {CONFIGS.parent / 'sft.jsonl'} does not exist" in " ".join(result.output.split())
    assert not (tmp_path / "home").exists()


def test_a_missing_model_folder_fails_at_once(tmp_path: Path) -> None:
    data = tmp_path / "sft.jsonl"
    data.write_text("{}\n")
    config = tmp_path / "run.yaml"
    config.write_text("model: no/such-model\ndata: sft.jsonl\noutput_dir: out\n")
    start = time.monotonic()
    result = CliRunner().invoke(app, ["train", "sft", "--config", str(config)])
    assert result.exit_code != 0 and time.monotonic() - start < 30
    output = " ".join(result.output.split())
    assert f"model folder {tmp_path / 'no/such-model'} does not exist" in output
    assert "internet" not in output
    # The same from the command line: relative to the working directory, and no data file is an error too.
    result = CliRunner().invoke(app, ["train", "sft", "--model", str(tmp_path), "--data", str(tmp_path / "x.jsonl"),
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code != 0 and "x.jsonl does not exist" in " ".join(result.output.split())
    result = CliRunner().invoke(app, ["train", "sft", "--model", str(tmp_path), "--data", str(data),
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code != 0 and "has no config.json" in " ".join(result.output.split())
