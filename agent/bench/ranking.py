"""Which bench runs a leaderboard shows, and in what order: shared by `kernelwright leaderboard` and the service."""

from __future__ import annotations

from kernelwright.agent.bench.config import Split
from kernelwright.agent.bench.metrics import RunMetrics, run_metrics
from kernelwright.db import Store
from kernelwright.db.enums import RunKind, RunStatus


def rank_key(run: RunMetrics, category: str | None) -> tuple[float, float, float]:
    """fast_1 first, then the geometric-mean speedup, then correctness (all higher is better)."""
    m = run.by_category[category] if category else run.overall
    return (m.fast_p.get("1", 0.0), m.geomean or 0.0, m.correct_rate)


def ranked_runs(store: Store, split: Split = Split.all, platform: str | None = None, category: str | None = None,
                model: str | None = None, include_unfinished: bool = False) -> list[RunMetrics]:
    """Stored bench runs that cover the choice, best first.

    Unfinished runs are left out unless asked for, and so are runs with no task in the split or category.
    """
    runs: list[RunMetrics] = []
    for row in store.list_runs(kind=RunKind.bench):
        if not include_unfinished and row.status is not RunStatus.finished:
            continue
        metrics = run_metrics(store, row.id, split, None)
        if platform is not None and metrics.platform != platform:
            continue
        if model is not None and metrics.model != model:
            continue
        if metrics.overall.tasks == 0:  # none of its tasks is in this split
            continue
        if category is not None and category not in metrics.by_category:
            continue
        runs.append(metrics)
    runs.sort(key=lambda r: rank_key(r, category), reverse=True)
    return runs
