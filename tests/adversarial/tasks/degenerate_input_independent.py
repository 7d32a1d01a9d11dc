"""Degenerate (row 7): the output is a learned tensor, independent of the input."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.table = nn.Parameter(torch.randn(32, 256))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.table + 0.0 * x


def get_inputs():
    return [torch.randn(32, 256)]


def get_init_inputs():
    return []
