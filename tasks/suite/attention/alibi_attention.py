"""Causal attention with ALiBi position biases: score[h, i, j] = q_i . k_j / sqrt(D)
- slope_h * (i - j) for j <= i, slope_h = 2^(-8 (h + 1) / H).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "attention"
LEVEL = 2
BATCH, HEADS, SEQ, HEAD_DIM = 2, 8, 256, 64
SIZES = {
    "gpu": {"BATCH": 16, "HEADS": 16, "SEQ": 2048, "HEAD_DIM": 64},
    "small": {"BATCH": 1, "HEADS": 2, "SEQ": 16, "HEAD_DIM": 16},
}
FLOPS = float(BATCH * HEADS * (2 * SEQ * SEQ * HEAD_DIM + 7 * SEQ * SEQ // 2))
BYTES_MOVED = float(4 * 4 * BATCH * HEADS * SEQ * HEAD_DIM)


class Model(nn.Module):
    def __init__(self):
        super().__init__()


    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        h, s = q.shape[1], q.shape[2]
        slopes = 2.0 ** (-8.0 * torch.arange(1, h + 1, dtype=q.dtype) / h)
        dist = (torch.arange(s).reshape(-1, 1) - torch.arange(s).reshape(1, -1)).to(q.dtype)
        bias = -slopes.reshape(h, 1, 1) * dist
        bias = bias.masked_fill(dist < 0, float("-inf"))
        return F.scaled_dot_product_attention(q, k, v, attn_mask=bias)


def get_inputs():
    return [torch.randn(BATCH, HEADS, SEQ, HEAD_DIM) for _ in range(3)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd lengths, another head count (other slopes), a single position, and sharp softmaxes.
    return [
        [torch.randn(1, 3, 77, 40), torch.randn(1, 3, 77, 40), torch.randn(1, 3, 77, 40)],
        [torch.randn(2, 2, 1, 16), torch.randn(2, 2, 1, 16), torch.randn(2, 2, 1, 16)],
        [torch.randn(1, 4, 100, 64) * 4.0, torch.randn(1, 4, 100, 64), torch.randn(1, 4, 100, 64)],
    ]
