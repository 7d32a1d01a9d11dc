"""The judge's tolerance comparison: where a mismatch is reported."""

from __future__ import annotations

import itertools

import pytest
import torch

from kernelwright.evaluator.compare import compare, unravel
from kernelwright.tasks.model import Tolerance


@pytest.mark.parametrize("shape", [(3, 4, 5), (7,), (2, 1, 9), (1,), (0, 3)])
def test_unravel_agrees_with_torch(shape: tuple[int, ...]) -> None:
    size = torch.Size(shape)
    for flat in range(size.numel()):
        assert unravel(flat, size) == [int(i) for i in torch.unravel_index(torch.tensor(flat), size)]


def test_a_mismatch_names_its_first_bad_index() -> None:
    expected = torch.zeros(2, 3, 4)
    got = expected.clone()
    for at in itertools.islice(itertools.product(range(2), range(3), range(4)), 13, None, 5):
        got[at] = 1.0
    bad = compare(got, expected, Tolerance(atol=1e-4, rtol=1e-4), "output 0")
    assert bad is not None and bad.index == [1, 0, 1], bad
    assert unravel(0, torch.Size([])) == []
