"""Masked fill: y = x.masked_fill(mask, value), mask is a (B, 1, S) bool padding mask broadcast
over the (B, H, S) scores (attention-style key padding).
"""

import torch
import torch.nn as nn

CATEGORY = "index"
LEVEL = 1
BATCH, HEADS, SEQ = 32, 96, 1024
VALUE = -1e4
SIZES = {"gpu": {"BATCH": 256, "HEADS": 1024, "SEQ": 4096}, "small": {"BATCH": 2, "HEADS": 3, "SEQ": 50}}
FLOPS = 0.0
BYTES_MOVED = float(2 * 4 * BATCH * HEADS * SEQ + BATCH * SEQ)


class Model(nn.Module):
    def __init__(self, value: float):
        super().__init__()
        self.value = value

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return x.masked_fill(mask, self.value)


def get_inputs():
    return [torch.randn(BATCH, HEADS, SEQ), torch.rand(BATCH, 1, SEQ) > 0.7]


def get_init_inputs():
    return [VALUE]


def get_input_groups():
    # Odd sizes, a mask that is all true (every output the fill value) or all false (a copy), and a structured
    # padding mask (the last positions).
    return [
        [torch.randn(3, 5, 77), torch.rand(3, 1, 77) > 0.5],
        [torch.randn(2, 4, 33), torch.ones(2, 1, 33, dtype=torch.bool)],
        [torch.randn(1, 7, 100) ** 3, torch.zeros(1, 1, 100, dtype=torch.bool)],
        [torch.randn(4, 2, 64), torch.arange(64).reshape(1, 1, 64).expand(4, 1, 64) >= 40],
    ]
