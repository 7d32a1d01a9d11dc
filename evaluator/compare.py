"""Stage 3, in the judge: the tolerance comparison of a candidate's outputs with the reference's.

Both sides are plain CPU tensors the judge read from its runners (shape and dtype were checked before a byte was
read, see judge/candidate.py). Each check names the docs/reward-hacks.md row it stops. Work is done in float32
(float64 for float64 outputs): enough for tolerances of 1e-4 and several times faster than upcasting everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from kernelwright.evaluator.result import Reason, ToleranceMode
from kernelwright.tasks.model import Tolerance

# KernelBench's check, for scores set beside its published numbers: allclose at 1e-2 and nothing else.
KERNELBENCH_TOLERANCE = Tolerance(atol=1e-2, rtol=1e-2, max_relative_l2=None)


@dataclass
class Mismatch:
    reason: Reason
    message: str
    max_abs: float | None = None
    max_rel: float | None = None
    index: list[int] | None = None
    fraction: float | None = None


@dataclass
class ErrorStats:
    """Largest errors seen across all comparisons that passed."""

    max_abs: float = 0.0
    max_rel: float = 0.0
    index: list[int] | None = field(default=None)

    def add(self, diff: torch.Tensor, expected: torch.Tensor) -> None:
        """Fold in one passing comparison's absolute differences (all finite)."""
        if diff.numel() == 0:
            return
        value = float(diff.max())
        if value >= self.max_abs:
            self.max_abs = value
            flat = int((diff.reshape(-1) == value).nonzero()[0])
            self.index = unravel(flat, diff.shape)
        self.max_rel = max(self.max_rel, float((diff / expected.abs().clamp_min(1e-12)).max()))


def unravel(flat: int, shape: torch.Size) -> list[int]:
    """The index of flat position `flat` in a contiguous tensor of `shape` (`torch.unravel_index` imports sympy on
    first use: half a second of every cold judge's time)."""
    index = []
    for extent in reversed(shape):
        flat, i = divmod(flat, max(extent, 1))
        index.append(i)
    return index[::-1]


def _working(t: torch.Tensor) -> torch.Tensor:
    return t.to(torch.float64 if t.dtype in (torch.float64, torch.complex128) else torch.float32)


def compare(got: torch.Tensor, expected: torch.Tensor, tol: Tolerance, where: str,
            stats: ErrorStats | None = None) -> Mismatch | None:
    """Tolerance comparison with NaN positions required to match and a relative-L2 bound.

    When it passes and `stats` is given, the errors are added to it.
    """
    if not expected.is_floating_point():
        if torch.equal(got, expected):
            return None
        bad = got != expected
        return Mismatch(Reason.output_mismatch, f"{where}: {int(bad.sum())} of {bad.numel()} values differ",
                        fraction=bad.float().mean().item())
    g, e = _working(got), _working(expected)
    diff = (g - e).abs()
    # Fast path: every difference within its bound (NaN and inf fail this, and go to the exact check below).
    if not bool((diff <= tol.atol + tol.rtol * e.abs()).all()):
        close = torch.isclose(g, e, atol=tol.atol, rtol=tol.rtol, equal_nan=True)
        if not bool(close.all()):
            flat = int((~close).to(torch.uint8).argmax())
            index = unravel(flat, close.shape)
            at = tuple(index)
            worst = float(diff.nan_to_num(float("inf")).max())
            frac = float((~close).float().mean())
            return Mismatch(Reason.output_mismatch,
                            f"{where}: {frac:.2%} of values outside atol={tol.atol:g}, rtol={tol.rtol:g}; "
                            f"max abs error {worst:.3e}; first at index {at}: got {g[at].item():.6g}, "
                            f"expected {e[at].item():.6g}", max_abs=worst, index=index, fraction=frac)
        # Close, with NaN or inf in matching places: leave those out of the statistics below.
        finite = torch.isfinite(e) & torch.isfinite(g)
        e, diff = e[finite], diff[finite]
    # Row 7: an output within atol of the reference can still be all wrong when the values are tiny; the
    # relative L2 error of the whole tensor must be small too (the task's tolerance sets the bound).
    norm = float(torch.linalg.vector_norm(e))
    if norm > 0 and tol.max_relative_l2 is not None:
        rel_l2 = float(torch.linalg.vector_norm(diff)) / norm
        if rel_l2 > tol.max_relative_l2:
            return Mismatch(Reason.output_mismatch, f"{where}: relative L2 error {rel_l2:.3e} exceeds "
                            f"{tol.max_relative_l2:g} although every value is within atol",
                            max_abs=float(diff.max()))
    if stats is not None:
        stats.add(diff, e)
    return None


def tolerance_for(task_tolerance: Tolerance, mode: ToleranceMode) -> Tolerance:
    """The tolerance an evaluation compares with: the task's own, or KernelBench's."""
    return KERNELBENCH_TOLERANCE if mode is ToleranceMode.kernelbench else task_tolerance
