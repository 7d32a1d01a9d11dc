"""Which stored turns become SFT data: the ConCuR rules, each a separate step so each can be tested alone.

1. correct only: the turn's kernel was judged `correct` with a measured speedup (at least `min_speedup`);
2. held-out tasks (benchmark-only) are dropped;
3. deduplicated by (task, normalized source hash): of the turns that produced one kernel, the one with the
   shortest reasoning (then the shortest reply) is kept;
4. per task, the `top_k` fastest kernels; ties on speedup go to the shorter reasoning.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pydantic import BaseModel, Field

from db.rows import JudgedTurnRow
from evaluator.result import Status


class CurationConfig(BaseModel):
    """Knobs of the SFT curation."""

    top_k: int = Field(default=2, ge=1, description="fastest distinct kernels kept per task")
    min_speedup: float = Field(default=0.0, ge=0, description="correct kernels slower than this are dropped")
    platform: str | None = Field(default=None, description="only evaluations on this platform (None: all)")


class CurationReport(BaseModel):
    """How many turns each rule removed, and what is left per category."""

    judged: int = 0
    not_correct: int = 0
    held_out: int = 0
    duplicates: int = 0
    beyond_top_k: int = 0
    kept: int = 0
    categories: dict[str, int] = Field(default_factory=dict)


def _reasoning_length(row: JudgedTurnRow) -> tuple[int, int]:
    return len(row.turn.reasoning or ""), len(row.turn.reply)


def correct_only(rows: Iterable[JudgedTurnRow], min_speedup: float = 0.0) -> list[JudgedTurnRow]:
    """Turns whose kernel is correct with a measured speedup of at least `min_speedup`."""
    return [r for r in rows if r.evaluation.status is Status.correct and r.evaluation.speedup is not None
            and r.evaluation.speedup >= min_speedup]


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
    correct = correct_only(rows, config.min_speedup)
    report.not_correct = len(rows) - len(correct)
    visible = without_held_out(correct)
    report.held_out = len(correct) - len(visible)
    unique = deduplicated(visible)
    report.duplicates = len(visible) - len(unique)
    kept = fastest_per_task(unique, config.top_k)
    report.beyond_top_k = len(unique) - len(kept)
    report.kept = len(kept)
    report.categories = dict(sorted(Counter(r.task_category for r in kept).items()))
    return kept, report
