"""Refuse tasks whose reference output is degenerate (docs/reward-hacks.md, row 7).

A constant, near-zero or input-independent reference lets a kernel that returns zeros or a constant
pass `allclose`, so such a task can't measure anything and is refused when it is loaded.

The outputs come from a stranger's task and can be as large as a runner's memory allows, so every statistic is
taken a chunk at a time in float64: the judge holds the two outputs and one chunk's copy, never a float64 copy of
a whole output.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from kernelwright.tasks.model import Tolerance

CHUNK = 2**20  # elements: 8 MiB of float64 per working copy


def _chunks(t: torch.Tensor) -> Iterator[torch.Tensor]:
    flat = t.detach().reshape(-1)
    for start in range(0, flat.numel(), CHUNK):
        yield flat[start:start + CHUNK].double()


def _within(a: torch.Tensor, b: torch.Tensor | None, tol: Tolerance) -> bool:
    """`torch.allclose(b, a)` (zeros when `b` is None), a chunk at a time."""
    for i, x in enumerate(_chunks(a)):
        y = torch.zeros_like(x) if b is None else b.detach().reshape(-1)[i * CHUNK:(i + 1) * CHUNK].double()
        if not bool(((y - x).abs() <= tol.atol + tol.rtol * x.abs()).all()):
            return False
    return True


def _float_reason(a: torch.Tensor, b: torch.Tensor, where: str, tol: Tolerance) -> str | None:
    if not all(bool(torch.isfinite(x).all()) for x in _chunks(a)):
        return f"{where} contains NaN or Inf"
    peak = max((x.abs().max().item() for x in _chunks(a)), default=0.0)
    if peak < 1e-6:
        return f"{where} is near zero everywhere (max |y| = {peak:.2e})"
    if _within(a, None, tol):
        return f"{where} is within tolerance of all zeros (max |y| = {peak:.2e}, atol = {tol.atol:g})"
    n = a.numel()
    if n > 1:
        mean = sum(x.sum().item() for x in _chunks(a)) / n
        std = (sum(((x - mean) ** 2).sum().item() for x in _chunks(a)) / (n - 1)) ** 0.5
        if std <= 1e-6 * peak:
            return f"{where} is constant ({a.reshape(-1)[0].item():.4g} everywhere)"
    if a.shape == b.shape and _within(b, a, tol):
        return f"{where} is independent of its inputs (equal for two different seeds)"
    return None


def degenerate_reason(first: list[torch.Tensor], second: list[torch.Tensor], tol: Tolerance) -> str | None:
    """Why the reference outputs are degenerate, or None.

    `first` and `second` are the reference outputs for two different seeds (different inputs, same
    weights).
    """
    for i, (a, b) in enumerate(zip(first, second)):
        where = f"output {i}" if len(first) > 1 else "the reference output"
        if not a.is_floating_point():
            if a.numel() > 1 and a.shape == b.shape and torch.equal(a, b):
                return f"{where} is independent of its inputs (equal for two different seeds)"
            continue
        reason = _float_reason(a, b, where, tol)
        if reason:
            return reason
    return None
