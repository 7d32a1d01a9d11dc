"""Log-softmax over the last dimension: y = x - logsumexp(x, dim=-1)."""

import torch
import torch.nn as nn

CATEGORY = "activation"
LEVEL = 1
BATCH, DIM = 1024, 1024
SIZES = {"gpu": {"BATCH": 131072, "DIM": 4096}, "small": {"BATCH": 4, "DIM": 1000}}
# Max, exp (~10 flops), sum, one log per row, subtract.
FLOPS = float(13 * BATCH * DIM)
BYTES_MOVED = float(2 * 4 * BATCH * DIM)


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.log_softmax(x, dim=-1)


def get_inputs():
    return [torch.randn(BATCH, DIM)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd rows, a 3-D tensor, logits so large that exp overflows without the max shift, rows of two very negative
    # values, heavy tails, and rows with many exactly tied values.
    return [
        [torch.randn(7, 1001)],
        [torch.randn(3, 5, 129)],
        [torch.randn(64, 1000) * 40.0],
        [torch.randn(16, 2) - 100.0],
        [torch.randn(100, 257) ** 3],
        [(torch.arange(30 * 64).reshape(30, 64) % 4).float()],
    ]
