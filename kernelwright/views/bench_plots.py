"""Which plots a bench run's report and run page show (kept apart from the plotting, which imports matplotlib)."""

from __future__ import annotations

BENCH_PLOTS = ("speedup_by_category.png", "fast_p.png", "speedup_vs_turn.png")


def plot_names(turns: int | None) -> list[str]:
    """The plots a bench run gets: speedup vs turn only when a task had turns to compare (one turn is one dot)."""
    return [name for name in BENCH_PLOTS if name != "speedup_vs_turn.png" or (turns or 0) > 1]
