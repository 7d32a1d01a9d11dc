"""Grouped-query attention: HEADS query heads share KV_HEADS key/value heads (each KV head
serves HEADS // KV_HEADS query heads), causal. q is (B, H, S, D), k and v are (B, KV_HEADS, S, D).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "attention"
LEVEL = 2
BATCH, HEADS, KV_HEADS, SEQ, HEAD_DIM = 2, 8, 2, 256, 64
SIZES = {
    "gpu": {"BATCH": 16, "HEADS": 32, "KV_HEADS": 8, "SEQ": 2048, "HEAD_DIM": 64},
    "small": {"BATCH": 1, "HEADS": 4, "KV_HEADS": 2, "SEQ": 16, "HEAD_DIM": 16},
}
FLOPS = float(BATCH * HEADS * (2 * SEQ * SEQ * HEAD_DIM + 5 * SEQ * SEQ // 2))
BYTES_MOVED = float(4 * BATCH * SEQ * HEAD_DIM * (2 * HEADS + 2 * KV_HEADS))


class Model(nn.Module):
    def __init__(self):
        super().__init__()


    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        group = q.shape[1] // k.shape[1]
        k = k.repeat_interleave(group, dim=1)
        v = v.repeat_interleave(group, dim=1)
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)


def get_inputs():
    kv_shape = (BATCH, KV_HEADS, SEQ, HEAD_DIM)
    return [torch.randn(BATCH, HEADS, SEQ, HEAD_DIM), torch.randn(kv_shape), torch.randn(kv_shape)]


def get_init_inputs():
    return []


def get_input_groups():
    # Another group size with odd lengths, one KV head for all query heads with a single position, and plain multi-
    # head (group 1) with sharp softmaxes and heavy-tailed values.
    return [
        [torch.randn(1, 6, 77, 40), torch.randn(1, 3, 77, 40), torch.randn(1, 3, 77, 40)],
        [torch.randn(2, 4, 1, 16), torch.randn(2, 1, 1, 16), torch.randn(2, 1, 1, 16)],
        [torch.randn(1, 8, 64, 64) * 4.0, torch.randn(1, 8, 64, 64), torch.randn(1, 8, 64, 64) ** 3],
    ]
