"""Multi-class margin (hinge) loss, mean over the batch:
loss_i = sum_{j != y_i} max(0, margin - x[i, y_i] + x[i, j]) / C (F.multi_margin_loss).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "loss"
LEVEL = 1
BATCH, CLASSES = 4096, 256
SIZES = {"gpu": {"BATCH": 1048576, "CLASSES": 512}, "small": {"BATCH": 8, "CLASSES": 10}}
FLOPS = float(4 * BATCH * CLASSES)
BYTES_MOVED = float(4 * BATCH * CLASSES + 8 * BATCH + 4)


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.multi_margin_loss(scores, targets)


def get_inputs():
    scale = 0.2 + 2.0 * torch.rand(())
    return [torch.randn(BATCH, CLASSES) * scale, torch.randint(0, CLASSES, (BATCH,))]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd and binary class counts, scores inside the margin everywhere, and heavy tails where most terms clip.
    return [
        [torch.randn(7, 101), torch.randint(0, 101, (7,))],
        [torch.randn(1, 2), torch.tensor([1])],
        [torch.randn(64, 33) * 0.05, torch.randint(0, 33, (64,))],
        [torch.randn(50, 20) ** 3, torch.randint(0, 20, (50,))],
    ]
