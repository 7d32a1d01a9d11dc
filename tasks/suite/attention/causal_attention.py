"""Causal multi-head self-attention: query i attends to keys 0..i only.

q, k, v are (B, H, S, D); out = softmax(q @ k^T / sqrt(D) + causal_mask) @ v
(F.scaled_dot_product_attention(q, k, v, is_causal=True)). Row 0 sees one key, so out[..., 0, :] = v[..., 0, :].
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "attention"
LEVEL = 2
BATCH, HEADS, SEQ, HEAD_DIM = 1, 12, 640, 64
SIZES = {
    "gpu": {"BATCH": 16, "HEADS": 16, "SEQ": 2048, "HEAD_DIM": 64},
    "small": {"BATCH": 1, "HEADS": 2, "SEQ": 16, "HEAD_DIM": 16},
}
# About half of the S x S score matrix is computed: 2 matmuls of 2 * (S*S/2) * D each, plus softmax.
FLOPS = float(BATCH * HEADS * (2 * SEQ * SEQ * HEAD_DIM + 5 * SEQ * SEQ // 2))
BYTES_MOVED = float(4 * 4 * BATCH * HEADS * SEQ * HEAD_DIM)


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)


def get_inputs():
    return [torch.randn(BATCH, HEADS, SEQ, HEAD_DIM) for _ in range(3)]


def get_init_inputs():
    return []


def get_input_groups():
    # An odd length and head size, a single position, and large-magnitude queries with
    # heavy-tailed values.
    return [
        [torch.randn(1, 3, 77, 40), torch.randn(1, 3, 77, 40), torch.randn(1, 3, 77, 40)],
        [torch.randn(2, 2, 1, 16), torch.randn(2, 2, 1, 16), torch.randn(2, 2, 1, 16)],
        [torch.randn(1, 4, 130, 64) * 4.0, torch.randn(1, 4, 130, 64), torch.randn(1, 4, 130, 64) ** 3],
    ]
