"""`traces export`: each ConCuR curation rule on a store filled with known records, and the three formats."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from trace_fill import TraceFiller, kernel, make_task
from typer.testing import CliRunner

from kernelwright.cli import app
from kernelwright.db import Store
from kernelwright.evaluator.result import Status
from kernelwright.rl.curation import CurationConfig
from kernelwright.rl.export import ExportFormat, ExportOptions, ExportResult, export_dataset
from kernelwright.tasks.model import Category

RELU = make_task("activation/relu")
GELU = make_task("activation/gelu")
GEMM = make_task("matmul/gemm", Category.matmul)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'kw.db'}")


def _export(store: Store, tmp_path: Path, fmt: ExportFormat = ExportFormat.sft, **curation: Any
            ) -> tuple[list[dict[str, Any]], ExportResult]:
    out = tmp_path / f"{fmt.value}.jsonl"
    result = export_dataset(store, ExportOptions(format=fmt, out=out, curation=CurationConfig(**curation)))
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert result.records == len(records)
    return records, result


def test_only_correct_kernels_are_kept(store: Store, tmp_path: Path) -> None:
    fill = TraceFiller(store)
    good = fill.add(RELU, kernel("good"), Status.correct, 1.5)
    for i, status in enumerate([Status.incorrect, Status.build_error, Status.rejected, Status.unstable]):
        fill.add(RELU, kernel(f"bad{i}"), status)
    records, result = _export(store, tmp_path, top_k=10)
    assert [r["turn_id"] for r in records] == [good]
    assert result.report.not_correct == 4


def test_only_kernels_verified_faster_by_default(store: Store, tmp_path: Path) -> None:
    # The case: a new user's first default export held a 0.46x and a 0.60x kernel.
    fill = TraceFiller(store)
    slow = fill.add(RELU, kernel("slow"), Status.correct, 0.46)
    slower = fill.add(GELU, kernel("slower"), Status.correct, 0.60)
    # 1.05x measured, but its interval [0.945, 1.155] holds 1.0: not verified faster (the decision is not `faster`).
    even = fill.add(GEMM, kernel("even"), Status.correct, 1.05)
    fast = fill.add(RELU, kernel("fast"), Status.correct, 1.5)
    records, result = _export(store, tmp_path, top_k=10)
    assert [r["turn_id"] for r in records] == [fast]
    assert result.report.not_faster == 3 and result.report.not_correct == 0
    # Lowered explicitly, slower kernels come back: those verified above the bar, then every timed one.
    half, result = _export(store, tmp_path, top_k=10, min_speedup=0.5)
    assert sorted(r["turn_id"] for r in half) == sorted([slower, even, fast]) and result.report.not_faster == 1
    every, result = _export(store, tmp_path, top_k=10, min_speedup=0.0)
    assert sorted(r["turn_id"] for r in every) == sorted([slow, slower, even, fast])
    assert result.report.not_faster == 0


def test_the_command_says_what_it_left_out_and_why(store: Store, tmp_path: Path) -> None:
    fill = TraceFiller(store)
    fill.add(RELU, kernel("slow"), Status.correct, 0.46)
    fill.add(GELU, kernel("slower"), Status.correct, 0.60)
    db = f"sqlite:///{tmp_path / 'kw.db'}"
    out = str(tmp_path / "sft.jsonl")

    def invoke(*args: str) -> str:
        result = CliRunner().invoke(app, ["traces", "export", *args], terminal_width=100)
        assert result.exit_code == 0, result.output
        return " ".join(result.output.replace("│", " ").split())

    said = invoke("--format", "sft", "--out", out, "--db-url", db)
    assert "2 correct but not verified faster than 1x" in said and "--min-speedup 0 keeps" in said
    report = json.loads(invoke("--format", "sft", "--out", out, "--db-url", db, "--json"))["report"]
    assert report["not_faster"] == 2 and report["kept"] == 0
    assert "0 correct but not verified faster than 0x" in invoke("--format", "sft", "--out", out, "--db-url", db,
                                                                  "--min-speedup", "0")
    assert "verified faster than eager" in invoke("--help")


def test_fastest_per_task_then_shortest_reasoning(store: Store, tmp_path: Path) -> None:
    fill = TraceFiller(store)
    fill.add(RELU, kernel("slow"), Status.correct, 0.8)
    verbose = fill.add(RELU, kernel("fast-verbose"), Status.correct, 3.0, reasoning="x" * 500)
    fast = fill.add(RELU, kernel("fast"), Status.correct, 3.0, reasoning="x" * 50)
    fill.add(RELU, kernel("mid"), Status.correct, 2.0)
    gemm = fill.add(GEMM, kernel("gemm"), Status.correct, 1.2)
    records, result = _export(store, tmp_path, top_k=2, min_speedup=0.0)
    # Per task the two fastest (the 2.0x and 0.8x kernels are dropped); equal speed: shorter reasoning first.
    assert [r["turn_id"] for r in records] == [fast, verbose, gemm]
    assert result.report.beyond_top_k == 2
    one, _ = _export(store, tmp_path, top_k=1, min_speedup=0.0)
    assert [r["turn_id"] for r in one] == [fast, gemm]


def test_deduplicated_by_normalized_hash_keeping_shortest_reasoning(store: Store, tmp_path: Path) -> None:
    fill = TraceFiller(store)
    fill.add(RELU, kernel("same", comment="first"), Status.correct, 2.0, reasoning="long " * 40)
    short = fill.add(RELU, kernel("same", comment="reformatted"), Status.correct, 2.0, reasoning="short")
    records, result = _export(store, tmp_path, top_k=5)
    assert [r["turn_id"] for r in records] == [short]
    assert result.report.duplicates == 1


def test_held_out_tasks_are_excluded(store: Store, tmp_path: Path) -> None:
    fill = TraceFiller(store)
    fill.add(GELU, kernel("gelu"), Status.correct, 2.0)
    relu = fill.add(RELU, kernel("relu"), Status.correct, 2.0)
    store.set_held_out(GELU.id, True)
    records, result = _export(store, tmp_path)
    assert [r["turn_id"] for r in records] == [relu]
    assert result.report.held_out == 1
    grpo, _ = _export(store, tmp_path, ExportFormat.grpo)
    assert [r["task_id"] for r in grpo] == [RELU.id]


def test_category_balance_and_provenance(store: Store, tmp_path: Path) -> None:
    fill = TraceFiller(store, model="coder-7b")
    fill.add(RELU, kernel("relu"), Status.correct, 2.0)
    fill.add(GELU, kernel("gelu"), Status.correct, 1.3)
    fill.add(GEMM, kernel("gemm"), Status.correct, 1.3)
    records, result = _export(store, tmp_path)
    assert result.report.categories == {"activation": 2, "matmul": 1}
    rec = records[0]
    assert rec["run_id"] == fill.run_id and rec["model"] == "coder-7b" and rec["harness_version"]
    assert [m["role"] for m in rec["messages"]] == ["system", "user", "assistant"]
    assert "class ModelNew" in rec["messages"][2]["content"]
    exports = store.list_dataset_exports()
    assert len(exports) == 1 and exports[0].record_count == 3 and exports[0].format == "sft"


def test_openai_format_has_messages_only_and_grpo_has_prompts(store: Store, tmp_path: Path) -> None:
    fill = TraceFiller(store)
    fill.add(RELU, kernel("relu"), Status.correct, 2.0)
    fill.add(RELU, kernel("relu2"), Status.incorrect)
    fill.add(GEMM, kernel("gemm"), Status.build_error)
    openai_records, _ = _export(store, tmp_path, ExportFormat.openai)
    assert len(openai_records) == 1 and set(openai_records[0]) == {"messages"}
    grpo, _ = _export(store, tmp_path, ExportFormat.grpo)
    # Every task with judged turns is an RL prompt, correct or not; the prompt is the first turn's.
    assert [r["task_id"] for r in grpo] == [RELU.id, GEMM.id]
    assert grpo[0]["prompt"][-1]["content"] == f"Optimize {RELU.id} (turn 0)"


def test_hf_dataset_is_written(store: Store, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    TraceFiller(store).add(RELU, kernel("relu"), Status.correct, 2.0)
    hf = tmp_path / "hf"
    export_dataset(store, ExportOptions(format=ExportFormat.sft, out=tmp_path / "a.jsonl", hf_dir=hf))
    loaded = datasets.load_from_disk(str(hf))
    assert len(loaded) == 1 and loaded[0]["task_id"] == RELU.id
