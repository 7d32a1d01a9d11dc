"""Multi-head scaled dot-product attention without a mask.

q, k, v are (B, H, S, D); out = softmax(q @ k^T / sqrt(D)) @ v, softmax over the key axis
(F.scaled_dot_product_attention). Query and key lengths may differ.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "attention"
LEVEL = 2
BATCH, HEADS, SEQ, HEAD_DIM = 2, 8, 512, 64
SIZES = {
    "gpu": {"BATCH": 16, "HEADS": 16, "SEQ": 2048, "HEAD_DIM": 64},
    "small": {"BATCH": 1, "HEADS": 2, "SEQ": 16, "HEAD_DIM": 16},
}
# q @ k^T and p @ v: 2 * S * S * D each; softmax (~5 ops per score) is small next to them.
FLOPS = float(BATCH * HEADS * (4 * SEQ * SEQ * HEAD_DIM + 5 * SEQ * SEQ))
BYTES_MOVED = float(4 * 4 * BATCH * HEADS * SEQ * HEAD_DIM)


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return F.scaled_dot_product_attention(q, k, v)


def get_inputs():
    return [torch.randn(BATCH, HEADS, SEQ, HEAD_DIM) for _ in range(3)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd lengths with more keys than queries, a different head size, a single query and key, and
    # large-magnitude queries (a sharp softmax that overflows exp without the max shift).
    return [
        [torch.randn(1, 3, 77, 32), torch.randn(1, 3, 130, 32), torch.randn(1, 3, 130, 32)],
        [torch.randn(2, 2, 100, 80), torch.randn(2, 2, 100, 80), torch.randn(2, 2, 100, 80)],
        [torch.randn(1, 1, 1, 8), torch.randn(1, 1, 1, 8), torch.randn(1, 1, 1, 8)],
        [torch.randn(1, 4, 64, 64) * 4.0, torch.randn(1, 4, 64, 64), torch.randn(1, 4, 64, 64) ** 3],
    ]
