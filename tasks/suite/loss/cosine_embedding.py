"""Cosine embedding loss, mean over pairs: 1 - cos(a_i, b_i) for similar pairs (y = 1),
max(0, cos(a_i, b_i) - margin) for dissimilar ones (y = -1).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "loss"
LEVEL = 1
BATCH, DIM = 4096, 512
MARGIN = 0.1
SIZES = {"gpu": {"BATCH": 1048576, "DIM": 512}, "small": {"BATCH": 8, "DIM": 64}}
FLOPS = float(6 * BATCH * DIM)
BYTES_MOVED = float(4 * (2 * BATCH * DIM + BATCH) + 4)


class Model(nn.Module):
    def __init__(self, margin: float):
        super().__init__()
        self.margin = margin

    def forward(self, a: torch.Tensor, b: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cosine_embedding_loss(a, b, y, margin=self.margin)


def get_inputs():
    a = torch.randn(BATCH, DIM)
    # Partly correlated pairs, with a correlation that varies per call, so cosines spread over [-1, 1].
    mix = torch.rand(())
    b = mix * a + (1 - mix) * torch.randn(BATCH, DIM)
    return [a, b, torch.randint(0, 2, (BATCH,)).float() * 2 - 1]


def get_init_inputs():
    return [MARGIN]


def get_input_groups():
    # Odd sizes and a single pair, vectors of very different magnitude, and heavy tails with all pairs dissimilar.
    return [
        [torch.randn(7, 33), torch.randn(7, 33), torch.tensor([1.0, -1.0] * 3 + [1.0])],
        [torch.randn(1, 3), torch.randn(1, 3), torch.tensor([-1.0])],
        [torch.randn(64, 100) * 1e3, torch.randn(64, 100) * 1e-3, torch.ones(64)],
        [torch.randn(50, 64) ** 3, torch.randn(50, 64) ** 3, -torch.ones(50)],
    ]
