"""Speedups as shown everywhere (terminal, pages, reports): two decimals, but never rounded onto 1.00 or across
it. A kernel at 1.004x is faster than PyTorch and one at 0.996x slower; both would read "1.00x" with two decimals,
which hides on which side of 1.0 it is (and fast_1 counts the first). Near 1 the number gets the decimals it
needs to differ from 1 (up to four)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernelwright.views.safe_text import one_line

if TYPE_CHECKING:
    from kernelwright.agent.bench.metrics import RunMetrics

MAX_DECIMALS = 4


def ratio(value: float) -> str:
    """`value` with two decimals, or with up to four when two would show 1.00 for a value that is not 1."""
    text = f"{value:.2f}"
    decimals = 2
    while float(text) == 1.0 and value != 1.0 and decimals < MAX_DECIMALS:
        decimals += 1
        text = f"{value:.{decimals}f}"
    return text


def times(value: float | None) -> str:
    """A speedup as "1.23x" (or "1.004x" near 1); "-" when there is none."""
    return "-" if value is None else f"{ratio(value)}x"


def bounds(ci: tuple[float, float] | None) -> str:
    """A 95% interval as "[lo, hi]"; empty when there is none."""
    return "" if ci is None else f"[{ratio(ci[0])}, {ratio(ci[1])}]"


def with_interval(value: float, ci: tuple[float, float] | None) -> str:
    """A speedup and its interval: "1.004x [0.98, 1.03]"."""
    return f"{times(value)} {bounds(ci)}".rstrip()


def unverified_fast_1(run: RunMetrics) -> str | None:
    """The tasks fast_1 counts (correct, speedup above 1.0x) whose 95% interval reaches 1.0x or below, said out
    loud: a 1.004x kernel is counted, but nothing shows it is faster than PyTorch. None when there are none."""
    shaky = [o for o in sorted(run.tasks, key=lambda o: o.task_id)
             if o.correct and o.speedup is not None and o.speedup > 1.0
             and (o.speedup_ci is None or o.speedup_ci[0] <= 1.0)]
    if not shaky:
        return None
    listed = "; ".join(f"{one_line(o.task_id)} {with_interval(o.speedup or 0.0, o.speedup_ci)}" for o in shaky)
    return (f"fast_1 counts {len(shaky)} task{'s' if len(shaky) != 1 else ''} whose interval reaches 1.0x or below "
            f"(faster on the point estimate only; not in verified fast_1): {listed}")
