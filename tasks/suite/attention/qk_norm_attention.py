"""Attention with QK normalization: q and k are RMS-normalized over the head dimension with
learned per-dimension scales before causal scaled dot-product attention (as in recent LLMs).
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
FLOPS = float(BATCH * HEADS * (2 * SEQ * SEQ * HEAD_DIM + 5 * SEQ * SEQ // 2 + 8 * SEQ * HEAD_DIM))
BYTES_MOVED = float(4 * 4 * BATCH * HEADS * SEQ * HEAD_DIM)


class Model(nn.Module):
    def __init__(self, head_dim: int):
        super().__init__()
        self.q_scale = nn.Parameter(torch.rand(head_dim) + 0.5, requires_grad=False)
        self.k_scale = nn.Parameter(torch.rand(head_dim) * 2.0 + 1.0, requires_grad=False)

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        q = q * torch.rsqrt(q.pow(2).mean(-1, keepdim=True) + 1e-6) * self.q_scale
        k = k * torch.rsqrt(k.pow(2).mean(-1, keepdim=True) + 1e-6) * self.k_scale
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)


def get_inputs():
    return [torch.randn(BATCH, HEADS, SEQ, HEAD_DIM) for _ in range(3)]


def get_init_inputs():
    return [HEAD_DIM]


def get_input_groups():
    # Odd lengths, a single position, huge queries and tiny queries (the normalization must cancel the scale), and
    # heavy-tailed values.
    return [
        [torch.randn(1, 3, 77, HEAD_DIM), torch.randn(1, 3, 77, HEAD_DIM), torch.randn(1, 3, 77, HEAD_DIM)],
        [torch.randn(2, 2, 1, HEAD_DIM), torch.randn(2, 2, 1, HEAD_DIM), torch.randn(2, 2, 1, HEAD_DIM)],
        [torch.randn(1, 4, 100, HEAD_DIM) * 100.0, torch.randn(1, 4, 100, HEAD_DIM), torch.randn(1, 4, 100, HEAD_DIM)],
        [torch.randn(1, 2, 40, HEAD_DIM) * 1e-3, torch.randn(1, 2, 40, HEAD_DIM), torch.randn(1, 2, 40, HEAD_DIM) ** 3],
    ]
