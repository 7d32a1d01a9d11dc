"""Degenerate (row 7): softmax over 4M values; every output is below the default atol of 1e-4."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(x, dim=-1)


def get_inputs():
    return [torch.randn(1, 4 * 1024 * 1024)]


def get_init_inputs():
    return []
