"""Which stored turns become SFT data: the ConCuR rules, each a separate step so each can be tested alone.

1. correct only: the turn's kernel was judged `correct`;
2. verified faster: its speedup's 95% interval lies above `min_speedup` (by default 1.0: the evaluator's decision
   `faster`), so a kernel slower than eager, or one whose timing cannot tell, never teaches the model; lowering
   `min_speedup` keeps slower kernels, 0 every timed correct one;
3. held-out tasks (benchmark-only) are dropped;
4. deduplicated by (task, normalized source hash): of the turns that produced one kernel, the one with the
   shortest reasoning (then the shortest reply) is kept;
5. per task, the `top_k` fastest kernels; ties on speedup go to the shorter reasoning.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pydantic import BaseModel, Field

from kernelwright.db.rows import JudgedTurnRow
from kernelwright.evaluator.result import Status


class CurationConfig(BaseModel):
    """Knobs of the SFT curation."""

    top_k: int = Field(default=2, ge=1, description="fastest distinct kernels kept per task")
    min_speedup: float = Field(default=1.0, ge=0, description="correct kernels are kept only when their speedup's "
                               "interval lies above this (1.0: verified faster than eager)")
    platform: str | None = Field(default=None, description="only evaluations on this platform (None: all)")


class CurationReport(BaseModel):
    """How many turns each rule removed, and what is left per category."""

    judged: int = 0
    not_correct: int = 0
    not_faster: int = Field(default=0, description="correct, but the speedup's interval does not lie above "
                            "min_speedup (or was never measured)")
    held_out: int = 0
    duplicates: int = 0
    beyond_top_k: int = 0
    kept: int = 0
    categories: dict[str, int] = Field(default_factory=dict)


def _reasoning_length(row: JudgedTurnRow) -> tuple[int, int]:
    return len(row.turn.reasoning or ""), len(row.turn.reply)


def correct_only(rows: Iterable[JudgedTurnRow]) -> list[JudgedTurnRow]:
    """Turns whose kernel was judged correct."""
    return [r for r in rows if r.evaluation.status is Status.correct]


def verified_faster(rows: Iterable[JudgedTurnRow], min_speedup: float) -> list[JudgedTurnRow]:
    """Turns whose speedup's 95% interval lies above `min_speedup`: its lower end, not the speedup itself, so a
    kernel is kept for what its measurement supports."""
    return [r for r in rows if r.evaluation.speedup_ci is not None and r.evaluation.speedup_ci[0] > min_speedup]


def without_held_out(rows: Iterable[JudgedTurnRow]) -> list[JudgedTurnRow]:
    """Turns of tasks not marked held out."""
    return [r for r in rows if not r.task_held_out]


def deduplicated(rows: Iterable[JudgedTurnRow]) -> list[JudgedTurnRow]:
    """One turn per (task, normalized kernel hash): the one with the shortest reasoning, then reply."""
    best: dict[tuple[str, str], JudgedTurnRow] = {}
    for row in rows:
        key = (row.task_id, row.candidate_hash)
        if key not in best or _reasoning_length(row) < _reasoning_length(best[key]):
            best[key] = row
    return list(best.values())


def fastest_per_task(rows: Iterable[JudgedTurnRow], top_k: int) -> list[JudgedTurnRow]:
    """Per task the `top_k` fastest turns (ties: shorter reasoning first), ordered by task then speed."""
    by_task: dict[str, list[JudgedTurnRow]] = {}
    for row in rows:
        by_task.setdefault(row.task_id, []).append(row)
    kept: list[JudgedTurnRow] = []
    for task_id in sorted(by_task):
        ranked = sorted(by_task[task_id], key=lambda r: (-(r.evaluation.speedup or 0.0), *_reasoning_length(r)))
        kept.extend(ranked[:top_k])
    return kept


def curate_sft(rows: list[JudgedTurnRow], config: CurationConfig) -> tuple[list[JudgedTurnRow], CurationReport]:
    """Apply every rule in order; returns the kept turns and what each rule removed."""
    report = CurationReport(judged=len(rows))
    if config.platform is not None:
        rows = [r for r in rows if r.evaluation.platform == config.platform]
    correct = correct_only(rows)
    report.not_correct = len(rows) - len(correct)
    faster = verified_faster(correct, config.min_speedup)
    report.not_faster = len(correct) - len(faster)
    visible = without_held_out(faster)
    report.held_out = len(faster) - len(visible)
    unique = deduplicated(visible)
    report.duplicates = len(visible) - len(unique)
    kept = fastest_per_task(unique, config.top_k)
    report.beyond_top_k = len(unique) - len(kept)
    report.kept = len(kept)
    report.categories = dict(sorted(Counter(r.task_category for r in kept).items()))
    return kept, report
