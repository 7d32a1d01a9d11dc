"""Smooth L1 (Huber-style) loss, mean over all elements:
loss = mean(0.5 * d^2 / beta if |d| < beta else |d| - 0.5 * beta), d = prediction - target."""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "loss"
LEVEL = 1
BATCH, DIM = 96, 32768
SIZES = {"gpu": {"BATCH": 16384, "DIM": 32768}, "small": {"BATCH": 4, "DIM": 1000}}
BETA = 0.5
FLOPS = float(5 * BATCH * DIM)
BYTES_MOVED = float(2 * 4 * BATCH * DIM + 4)


class Model(nn.Module):
    def __init__(self, beta: float):
        super().__init__()
        self.beta = beta

    def forward(self, predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.smooth_l1_loss(predictions, targets, beta=self.beta)


def get_inputs():
    # A random overall scale per call, so the mean differs clearly between calls (the mean of millions
    # of i.i.d. terms would otherwise be nearly the same number every time).
    scale = 0.2 + 2.0 * torch.rand(())
    return [torch.randn(BATCH, DIM) * scale, torch.randn(BATCH, DIM) * scale]


def get_init_inputs():
    return [BETA]


def get_input_groups():
    # Odd and tiny sizes, a 3-D shape, differences almost all inside the quadratic zone or almost all
    # in the linear zone, and heavy-tailed differences.
    t = torch.randn(64, 4099)
    return [
        [torch.randn(7, 1001), torch.randn(7, 1001)],
        [torch.randn(1, 3), torch.randn(1, 3)],
        [torch.randn(5, 3, 257), torch.randn(5, 3, 257)],
        [t + 0.05 * torch.randn(64, 4099), t],
        [torch.randn(100, 999) * 20.0, torch.randn(100, 999) - 5.0],
        [torch.randn(33, 1000) ** 3, torch.randn(33, 1000) ** 3],
    ]
