"""Linear 1-D resize of sequences to a fixed length (F.interpolate(mode='linear', align_corners=False))."""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "resize"
LEVEL = 1
BATCH, CHANNELS, LENGTH = 16, 64, 2048
OUT_LEN = 3000
SIZES = {"gpu": {"BATCH": 128, "CHANNELS": 256, "LENGTH": 16384}, "small": {"BATCH": 1, "CHANNELS": 3, "LENGTH": 50}}
FLOPS = float(4 * BATCH * CHANNELS * OUT_LEN)
BYTES_MOVED = float(4 * (BATCH * CHANNELS * LENGTH + BATCH * CHANNELS * OUT_LEN))


class Model(nn.Module):
    def __init__(self, out_len: int):
        super().__init__()
        self.out_len = out_len

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, size=self.out_len, mode="linear", align_corners=False)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, LENGTH)]


def get_init_inputs():
    return [OUT_LEN]


def get_input_groups():
    # An odd length, a single sample (every output equal to it), a longer input than the output, heavy tails, and a
    # ramp.
    return [
        [torch.randn(1, 3, 1001)],
        [torch.randn(2, 2, 1)],
        [torch.randn(3, 5, 4000) ** 3],
        [torch.arange(2 * 100).reshape(1, 2, 100).float()],
    ]
