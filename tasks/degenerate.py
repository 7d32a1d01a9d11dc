"""Refuse tasks whose reference output is degenerate (docs/reward-hacks.md, row 7).

A constant, near-zero or input-independent reference lets a kernel that returns zeros or a constant
pass `allclose`, so such a task can't measure anything and is refused when it is loaded.
"""

from __future__ import annotations

import torch

from tasks.model import Tolerance


def degenerate_reason(first: list[torch.Tensor], second: list[torch.Tensor], tol: Tolerance) -> str | None:
    """Why the reference outputs are degenerate, or None.

    `first` and `second` are the reference outputs for two different seeds (different inputs, same
    weights).
    """
    for i, (a, b) in enumerate(zip(first, second)):
        where = f"output {i}" if len(first) > 1 else "the reference output"
        if not a.is_floating_point():
            if a.numel() > 1 and torch.equal(a, b):
                return f"{where} is independent of its inputs (equal for two different seeds)"
            continue
        af = a.detach().double()
        if not torch.isfinite(af).all():
            return f"{where} contains NaN or Inf"
        peak = af.abs().max().item() if af.numel() else 0.0
        if peak < 1e-6:
            return f"{where} is near zero everywhere (max |y| = {peak:.2e})"
        if torch.allclose(torch.zeros_like(af), af, atol=tol.atol, rtol=tol.rtol):
            return f"{where} is within tolerance of all zeros (max |y| = {peak:.2e}, atol = {tol.atol:g})"
        if af.numel() > 1 and af.std().item() <= 1e-6 * peak:
            return f"{where} is constant ({af.flatten()[0].item():.4g} everywhere)"
        if torch.allclose(af, b.detach().double(), atol=tol.atol, rtol=tol.rtol):
            return f"{where} is independent of its inputs (equal for two different seeds)"
    return None
