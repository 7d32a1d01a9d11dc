"""Stage 3 helpers: exact output checks and tolerance comparison.

Each check names the REWARD_HACKS.md row it stops.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from evaluator.result import Reason
from tasks.model import Tolerance

# Row 7: an output within atol of the reference can still be all wrong when the values are tiny; the
# relative L2 error of the whole tensor must be small too.
MAX_RELATIVE_L2 = 1e-2


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

    def update(self, got: torch.Tensor, expected: torch.Tensor) -> None:
        if not expected.is_floating_point() or expected.numel() == 0:
            return
        diff = (got.double() - expected.double()).abs().nan_to_num(0.0)
        value = diff.max().item()
        if value >= self.max_abs:
            self.max_abs = value
            self.index = [int(i) for i in torch.unravel_index(diff.argmax(), diff.shape)] if diff.dim() else []
        rel = (diff / expected.double().abs().clamp_min(1e-12)).nan_to_num(0.0)
        self.max_rel = max(self.max_rel, rel.max().item())


def check_output_type(got: object, expected: torch.Tensor, device: torch.device, where: str) -> Mismatch | None:
    """Exact type, device, dtype, shape and real storage."""
    # Row 3: a Tensor subclass can compute lazily when compared; only a plain tensor is accepted.
    if type(got) is not torch.Tensor:
        return Mismatch(Reason.output_type, f"{where}: expected exactly torch.Tensor, got {type(got).__name__}")
    if got.device.type != device.type:
        return Mismatch(Reason.output_device, f"{where}: output on {got.device}, expected {device}")
    # Row 10: computing an fp32 task in lower precision shows up as the wrong dtype.
    if got.dtype != expected.dtype:
        return Mismatch(Reason.output_dtype, f"{where}: dtype {got.dtype}, expected {expected.dtype}")
    # Row 8: the harness fixes the shapes; an output of another shape computed something else.
    if got.shape != expected.shape:
        return Mismatch(Reason.output_shape, f"{where}: shape {tuple(got.shape)}, expected {tuple(expected.shape)}")
    # Row 3: outputs must own real memory (no meta tensors, no storage-less views).
    if got.is_meta or (got.numel() > 0 and got.untyped_storage().data_ptr() == 0):
        return Mismatch(Reason.output_storage, f"{where}: output has no real storage")
    return None


def compare(got: torch.Tensor, expected: torch.Tensor, tol: Tolerance, where: str) -> Mismatch | None:
    """Tolerance comparison with NaN positions required to match and a relative-L2 bound."""
    if not expected.is_floating_point():
        if torch.equal(got, expected):
            return None
        bad = got != expected
        return Mismatch(Reason.output_mismatch, f"{where}: {int(bad.sum())} of {bad.numel()} values differ",
                        fraction=bad.float().mean().item())
    g, e = got.double(), expected.double()
    close = torch.isclose(g, e, atol=tol.atol, rtol=tol.rtol, equal_nan=True)
    diff = (g - e).abs().nan_to_num(float("inf"))
    if not bool(close.all()):
        idx = torch.unravel_index((~close).to(torch.uint8).argmax(), close.shape) if close.dim() else ()
        index = [int(i) for i in idx]
        worst = diff.max().item()
        frac = (~close).double().mean().item()
        at = tuple(index)
        return Mismatch(Reason.output_mismatch,
                        f"{where}: {frac:.2%} of values outside atol={tol.atol:g}, rtol={tol.rtol:g}; "
                        f"max abs error {worst:.3e}; first at index {at}: got {g[at].item():.6g}, "
                        f"expected {e[at].item():.6g}", max_abs=worst, index=index, fraction=frac)
    finite = torch.isfinite(e)
    norm = e[finite].norm().item()
    if norm > 0:
        rel_l2 = (g[finite] - e[finite]).norm().item() / norm
        if rel_l2 > MAX_RELATIVE_L2:
            return Mismatch(Reason.output_mismatch, f"{where}: relative L2 error {rel_l2:.3e} exceeds "
                            f"{MAX_RELATIVE_L2:g} although every value is within atol", max_abs=diff.max().item())
    return None


def inputs_unchanged(before: list[object], after: list[object]) -> int | None:
    """Index of the first input the candidate changed, or None (row 6: mutating inputs)."""
    for i, (a, b) in enumerate(zip(before, after)):
        if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
            same = a.shape == b.shape and a.dtype == b.dtype and torch.equal(
                torch.nan_to_num(a) if a.is_floating_point() else a,
                torch.nan_to_num(b) if b.is_floating_point() else b)
            if not same:
                return i
    return None
