"""Degenerate (row 7): the output is the same constant whatever the input."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.full_like(x, 3.0)


def get_inputs():
    return [torch.randn(32, 256)]


def get_init_inputs():
    return []
