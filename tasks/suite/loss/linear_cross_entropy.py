"""Classifier head and loss in one: logits = x @ W^T (no bias), then cross-entropy with
integer targets, mean over the batch (the LM-head loss whose logits need never be stored).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "loss"
LEVEL = 2
BATCH, DIM, CLASSES = 512, 256, 2048
SIZES = {"gpu": {"BATCH": 16384, "DIM": 4096, "CLASSES": 32768}, "small": {"BATCH": 4, "DIM": 16, "CLASSES": 30}}
FLOPS = float(2 * BATCH * DIM * CLASSES + 13 * BATCH * CLASSES)
BYTES_MOVED = float(4 * (BATCH * DIM + CLASSES * DIM) + 8 * BATCH + 4)
# The loss averages BATCH log-sum-exps of length-DIM dot products.
TOLERANCE = {"atol": 1e-4, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self, dim: int, classes: int):
        super().__init__()
        self.head = nn.Linear(dim, classes, bias=False)

    def forward(self, x: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(self.head(x), targets)


def get_inputs():
    # A random input scale per call, so the mean loss differs clearly between calls.
    scale = 0.5 + 3.0 * torch.rand(())
    return [torch.randn(BATCH, DIM) * scale, torch.randint(0, CLASSES, (BATCH,))]


def get_init_inputs():
    return [DIM, CLASSES]


def get_input_groups():
    # An odd batch, a single row with the last class, logits large enough to overflow a naive exp, and heavy tails
    # with one target class.
    return [
        [torch.randn(7, DIM), torch.randint(0, CLASSES, (7,))],
        [torch.randn(1, DIM), torch.tensor([CLASSES - 1])],
        [torch.randn(33, DIM) * 30.0, torch.randint(0, CLASSES, (33,))],
        [torch.randn(20, DIM) ** 3, torch.zeros(20, dtype=torch.int64)],
    ]
