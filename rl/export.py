"""`traces export`: datasets from the store, as JSONL (always) and a Hugging Face `datasets` folder (optional).

Formats:
- `sft`: curated chat records (`messages` = the stored system/user prompt + the reply; by default only kernels
  verified faster than eager, see rl/curation.py) with provenance
  (run, model, harness version, task, speedup, turn, candidate hash).
- `openai`: the same curated records as `{"messages": [...]}` only; OpenAI's fine-tuning rejects other keys.
- `grpo`: one prompt per task for RL: the newest stored first-turn prompt of every task that has judged turns,
  with its `task_id` (the GRPO trainer evaluates completions against that task).
Each export is recorded in the store's `dataset_export` table.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from kernelwright.db import Store
from kernelwright.db.rows import JudgedTurnRow
from kernelwright.evaluator.result import ToleranceMode
from kernelwright.rl.curation import CurationConfig, CurationReport, curate_sft, without_held_out


class ExportFormat(str, Enum):
    """What the exported records are for."""

    sft = "sft"
    openai = "openai"
    grpo = "grpo"


class ChatTurn(BaseModel):
    """One chat message of a record."""

    role: str
    content: str


class SftRecord(BaseModel):
    """A curated SFT example with where it came from."""

    messages: list[ChatTurn]
    task_id: str
    category: str
    speedup: float
    run_id: str
    run_kind: str
    model: str
    harness_version: str
    jailed: bool = True
    tolerance: ToleranceMode = ToleranceMode.task
    turn_id: int
    candidate_hash: str


class GrpoRecord(BaseModel):
    """A prompt for RL and the task its completions are judged on."""

    prompt: list[ChatTurn]
    task_id: str
    category: str


class ExportResult(BaseModel):
    """What an export wrote."""

    format: ExportFormat
    path: str
    hf_path: str | None = None
    records: int
    report: CurationReport
    export_id: int


class ExportOptions(BaseModel):
    """Everything an export is configured by (stored with the export)."""

    format: ExportFormat
    out: Path
    hf_dir: Path | None = None
    curation: CurationConfig = Field(default_factory=CurationConfig)


def prompt_messages(prompt: str) -> list[ChatTurn]:
    """A stored turn prompt as messages: the runner stores the JSON list of chat messages it sent."""
    try:
        data = json.loads(prompt)
    except json.JSONDecodeError:
        return [ChatTurn(role="user", content=prompt)]
    if isinstance(data, list) and all(isinstance(m, dict) and {"role", "content"} <= m.keys() for m in data):
        return [ChatTurn(role=m["role"], content=m["content"]) for m in data]
    return [ChatTurn(role="user", content=prompt)]


def sft_record(row: JudgedTurnRow) -> SftRecord:
    """The SFT record of one curated turn."""
    messages = [*prompt_messages(row.turn.prompt), ChatTurn(role="assistant", content=row.turn.reply)]
    return SftRecord(messages=messages, task_id=row.task_id, category=row.task_category,
                     speedup=row.evaluation.speedup or 0.0, run_id=row.run_id, run_kind=row.run_kind.value,
                     model=row.turn.model, harness_version=row.evaluation.harness_version,
                     jailed=row.evaluation.jailed, tolerance=row.evaluation.tolerance, turn_id=row.turn.id,
                     candidate_hash=row.candidate_hash)


def grpo_records(rows: list[JudgedTurnRow]) -> tuple[list[GrpoRecord], CurationReport]:
    """One prompt per non-held-out task: its newest stored first-turn prompt (no feedback in it yet)."""
    visible = without_held_out(rows)
    newest: dict[str, JudgedTurnRow] = {}
    for row in visible:
        if row.turn.index == 0:
            newest[row.task_id] = row  # rows come oldest first
    records = [GrpoRecord(prompt=prompt_messages(r.turn.prompt), task_id=r.task_id, category=r.task_category)
               for _, r in sorted(newest.items())]
    categories: dict[str, int] = {}
    for rec in records:
        categories[rec.category] = categories.get(rec.category, 0) + 1
    report = CurationReport(judged=len(rows), held_out=len(rows) - len(visible), kept=len(records),
                            categories=dict(sorted(categories.items())))
    return records, report


def build_records(store: Store, options: ExportOptions) -> tuple[list[dict[str, Any]], CurationReport]:
    """The records of one export, as JSON-ready dicts, and the curation report."""
    rows = store.judged_turns(options.curation.platform)
    if options.format is ExportFormat.grpo:
        grpo, report = grpo_records(rows)
        return [r.model_dump(mode="json") for r in grpo], report
    kept, report = curate_sft(rows, options.curation)
    records = [sft_record(r) for r in kept]
    if options.format is ExportFormat.openai:
        return [{"messages": [m.model_dump() for m in r.messages]} for r in records], report
    return [r.model_dump(mode="json") for r in records], report


def write_jsonl(records: list[dict[str, Any]], path: Path) -> None:
    """One JSON object per line, UTF-8."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_hf(records: list[dict[str, Any]], path: Path) -> None:
    """A Hugging Face `datasets.Dataset` saved with `save_to_disk` (needs the `train` extra)."""
    from datasets import Dataset  # the train extra; JSONL export works without it

    Dataset.from_list(records).save_to_disk(str(path))


def export_dataset(store: Store, options: ExportOptions) -> ExportResult:
    """Curate, write JSONL (and the HF dataset when asked) and record the export in the store."""
    records, report = build_records(store, options)
    write_jsonl(records, options.out)
    if options.hf_dir is not None:
        write_hf(records, options.hf_dir)
    export_id = store.record_dataset_export(options.format.value, str(options.out), len(records),
                                            options.model_dump(mode="json"))
    return ExportResult(format=options.format, path=str(options.out),
                        hf_path=None if options.hf_dir is None else str(options.hf_dir), records=len(records),
                        report=report, export_id=export_id)
