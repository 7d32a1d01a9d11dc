"""A kernel's verified envelope, from its shape sweep: where it was shown correct, and where faster.

Nothing outside what was tested is assumed. Inside the envelope means: the dtypes and device tested, the same
rank per input, each dimension within the range of sizes the kernel was correct at, and, where a failing size
inside that range is explained by alignment (the kernel failed at odd sizes, say), a multiple of that alignment.
A failure that no alignment explains shrinks the envelope to the exact shapes that passed. Inside it, the kernel
is used only in the size buckets whose point it was verified faster at (interval above 1.0); the reference runs
everywhere else.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import BaseModel

from kernelwright.evaluator.result import Status

Shapes = list[list[int] | None]


class PointVerdict(BaseModel):
    """What the envelope needs of one sweep point."""

    label: str
    constants: dict[str, int]
    input_shapes: Shapes
    input_dtypes: list[str | None]
    status: Status
    reason: str | None = None
    speedup: float | None = None
    speedup_ci: tuple[float, float] | None = None

    @property
    def correct(self) -> bool:
        """Correct at this point (`unstable`: correct, timing unsettled)."""
        return self.status in (Status.correct, Status.unstable)

    @property
    def faster(self) -> bool:
        """Verified faster here: correct and the whole interval above 1.0."""
        return self.status is Status.correct and self.speedup_ci is not None and self.speedup_ci[0] > 1.0

    @property
    def numel(self) -> int:
        """Elements over all tensor inputs (the size bucket's key)."""
        return sum(math.prod(s) for s in self.input_shapes if s is not None)


class SizeBucket(BaseModel):
    """A range of total input elements and whether the kernel is used there (its point was verified faster)."""

    low: int
    high: int
    label: str
    use_kernel: bool
    speedup: float | None = None
    speedup_ci: tuple[float, float] | None = None


class Envelope(BaseModel):
    """Where an exported kernel runs; the reference runs everywhere else."""

    device: str
    dtypes: list[str | None]
    ranks: list[int | None]
    dim_low: list[list[int]]
    dim_high: list[list[int]]
    multiple_of: list[list[int]]
    exact_shapes: list[Shapes] | None = None  # set when failures are not explained by ranges and alignment
    buckets: list[SizeBucket]
    points: list[PointVerdict]

    @property
    def empty(self) -> bool:
        """No sweep point passed: the kernel is never used."""
        return not any(p.correct for p in self.points)


def _alignment(passing: list[int], failing: list[int]) -> int | None:
    """The smallest power of two every passing size is a multiple of and every failing size is not; 1 when
    nothing fails; None when no alignment tells them apart."""
    if not failing:
        return 1
    align = 2
    while all(v % align == 0 for v in passing):
        if all(v % align != 0 for v in failing):
            return align
        align *= 2
    return None


def _buckets(points: list[PointVerdict]) -> list[SizeBucket]:
    """Size buckets over total input elements: each passing point owns the range up to the geometric midpoint
    between it and its neighbours."""
    ordered = sorted((p for p in points if p.correct), key=lambda p: p.numel)
    buckets = []
    for i, point in enumerate(ordered):
        low = 0 if i == 0 else math.isqrt(ordered[i - 1].numel * point.numel) + 1
        high = (2 ** 62) if i == len(ordered) - 1 else math.isqrt(point.numel * ordered[i + 1].numel)
        buckets.append(SizeBucket(low=low, high=high, label=point.label, use_kernel=point.faster,
                                  speedup=point.speedup, speedup_ci=point.speedup_ci))
    return buckets


def envelope_of(points: Sequence[PointVerdict], device: str) -> Envelope:
    """The envelope a sweep supports (see the module's docstring)."""
    points = list(points)
    passing = [p for p in points if p.correct]
    if not passing:
        return Envelope(device=device, dtypes=[], ranks=[], dim_low=[], dim_high=[], multiple_of=[],
                        exact_shapes=[], buckets=[], points=points)
    first = passing[0]
    ranks = [None if s is None else len(s) for s in first.input_shapes]
    same_kind = [p for p in passing if [None if s is None else len(s) for s in p.input_shapes] == ranks
                 and p.input_dtypes == first.input_dtypes]
    dim_low: list[list[int]] = []
    dim_high: list[list[int]] = []
    for arg, rank in enumerate(ranks):
        sizes = [[p.input_shapes[arg][d] for p in same_kind] for d in range(rank or 0)]  # type: ignore[index]
        dim_low.append([min(s) for s in sizes])
        dim_high.append([max(s) for s in sizes])
    failing_inside = [p for p in points if not p.correct and p.input_shapes
                      and [None if s is None else len(s) for s in p.input_shapes] == ranks
                      and all(s is None or all(lo <= v <= hi for v, lo, hi in zip(s, dim_low[a], dim_high[a]))
                              for a, s in enumerate(p.input_shapes))]
    multiple_of: list[list[int]] = []
    exact = None
    for arg, rank in enumerate(ranks):
        row = []
        for d in range(rank or 0):
            ok = [p.input_shapes[arg][d] for p in same_kind]  # type: ignore[index]
            bad = [p.input_shapes[arg][d] for p in failing_inside]  # type: ignore[index]
            row.append(_alignment(ok, bad) or 1)
        multiple_of.append(row)
    explained = all(any(s is not None and any(v % m for v, m in zip(s, multiple_of[a]))
                        for a, s in enumerate(p.input_shapes)) for p in failing_inside)
    if not explained:
        exact = [p.input_shapes for p in same_kind]
    return Envelope(device=device, dtypes=list(first.input_dtypes), ranks=ranks, dim_low=dim_low,
                    dim_high=dim_high, multiple_of=multiple_of, exact_shapes=exact,
                    buckets=_buckets(same_kind), points=points)
