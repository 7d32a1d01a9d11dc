"""Causal sliding-window attention: query i attends to keys max(0, i - W + 1)..i
(Mistral-style local attention), window W = 64.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "attention"
LEVEL = 2
BATCH, HEADS, SEQ, HEAD_DIM = 2, 8, 256, 64
WINDOW = 64
SIZES = {
    "gpu": {"BATCH": 16, "HEADS": 16, "SEQ": 2048, "HEAD_DIM": 64},
    "small": {"BATCH": 1, "HEADS": 2, "SEQ": 16, "HEAD_DIM": 16},
}
# Each query sees at most WINDOW keys.
FLOPS = float(BATCH * HEADS * SEQ * WINDOW * (4 * HEAD_DIM + 5))
BYTES_MOVED = float(4 * 4 * BATCH * HEADS * SEQ * HEAD_DIM)


class Model(nn.Module):
    def __init__(self, window: int):
        super().__init__()
        self.window = window

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        s = q.shape[2]
        i = torch.arange(s).reshape(-1, 1)
        j = torch.arange(s).reshape(1, -1)
        keep = (j <= i) & (j > i - self.window)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=keep)


def get_inputs():
    return [torch.randn(BATCH, HEADS, SEQ, HEAD_DIM) for _ in range(3)]


def get_init_inputs():
    return [WINDOW]


def get_input_groups():
    # Odd lengths and head size, a single position, sharp softmaxes on a sequence longer than the window, and a
    # sequence exactly as long as the window (plain causal).
    return [
        [torch.randn(1, 3, 77, 40), torch.randn(1, 3, 77, 40), torch.randn(1, 3, 77, 40)],
        [torch.randn(2, 2, 1, 16), torch.randn(2, 2, 1, 16), torch.randn(2, 2, 1, 16)],
        [torch.randn(1, 4, 200, 64) * 4.0, torch.randn(1, 4, 200, 64), torch.randn(1, 4, 200, 64)],
        [torch.randn(1, 2, 64, 32), torch.randn(1, 2, 64, 32), torch.randn(1, 2, 64, 32)],
    ]
