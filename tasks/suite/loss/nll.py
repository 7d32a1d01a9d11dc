"""Negative log-likelihood with class weights, weighted mean over the batch:
loss = -sum_i w[t_i] * log_p[i, t_i] / sum_i w[t_i] (F.nll_loss with weight).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "loss"
LEVEL = 1
BATCH, CLASSES = 262144, 16
SIZES = {"gpu": {"BATCH": 33554432, "CLASSES": 16}, "small": {"BATCH": 16, "CLASSES": 10}}
FLOPS = float(3 * BATCH)
BYTES_MOVED = float(BATCH * (4 + 8) + 4 * CLASSES + 4)


class Model(nn.Module):
    def __init__(self, classes: int):
        super().__init__()
        # Non-uniform class weights, so an unweighted mean is wrong.
        self.weight = nn.Parameter(torch.rand(classes) + 0.1, requires_grad=False)

    def forward(self, log_p: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.nll_loss(log_p, targets, weight=self.weight)


def get_inputs():
    scale = 0.5 + 3.0 * torch.rand(())
    return [torch.randn(BATCH, CLASSES) * scale, torch.randint(0, CLASSES, (BATCH,))]


def get_init_inputs():
    return [CLASSES]


def get_input_groups():
    # Odd and single-row batches, every target the same class (first or last), and heavy-tailed scores.
    return [
        [torch.randn(7, CLASSES) * 3.0, torch.randint(0, CLASSES, (7,))],
        [torch.randn(1, CLASSES), torch.randint(0, CLASSES, (1,))],
        [-torch.rand(999, CLASSES) * 100.0, torch.zeros(999, dtype=torch.int64)],
        [torch.randn(300, CLASSES) ** 3, torch.full((300,), CLASSES - 1, dtype=torch.int64)],
    ]
