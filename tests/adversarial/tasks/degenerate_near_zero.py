"""Degenerate (row 7): the output is near zero everywhere, so returning zeros would pass."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * 1e-9


def get_inputs():
    return [torch.randn(32, 256)]


def get_init_inputs():
    return []
