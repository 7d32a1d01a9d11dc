"""Degenerate references (docs/reward-hacks.md row 7), judged a chunk at a time: same answers as whole-tensor
checks, for outputs that span many chunks."""

from __future__ import annotations

import pytest
import torch

import kernelwright.tasks.degenerate as degenerate
from kernelwright.tasks.degenerate import degenerate_reason
from kernelwright.tasks.model import Tolerance

TOL = Tolerance(atol=1e-4, rtol=1e-4)


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(degenerate, "CHUNK", 7)  # every test tensor spans several chunks, the last one partial


def _reason(a: torch.Tensor, b: torch.Tensor) -> str | None:
    return degenerate_reason([a], [b], TOL)


def test_a_healthy_output_passes() -> None:
    torch.manual_seed(0)
    assert _reason(torch.randn(10, 5), torch.randn(10, 5)) is None


@pytest.mark.parametrize("value,expected", [
    (torch.zeros(10, 5), "near zero"),
    (torch.full((10, 5), 5e-5), "within tolerance of all zeros"),
    (torch.full((10, 5), 3.0), "constant (3 everywhere)"),
])
def test_degenerate_outputs_are_named(value: torch.Tensor, expected: str) -> None:
    reason = _reason(value, torch.randn(10, 5))
    assert reason is not None and expected in reason


def test_a_non_finite_value_in_a_late_chunk_is_found() -> None:
    a = torch.randn(50)
    a[48] = float("nan")
    assert "NaN or Inf" in (_reason(a, torch.randn(50)) or "")


def test_equal_outputs_for_two_seeds_are_input_independent() -> None:
    a = torch.randn(50)
    assert "independent of its inputs" in (_reason(a, a + 1e-6) or "")
    b = a.clone()
    b[49] += 1.0  # differs only in the last, partial chunk
    assert _reason(a, b) is None


def test_outputs_of_different_shapes_are_not_compared() -> None:
    assert _reason(torch.randn(50), torch.randn(49)) is None


def test_integer_outputs() -> None:
    a = torch.arange(50)
    assert "independent" in (_reason(a, a.clone()) or "")
    assert _reason(a, a + 1) is None
