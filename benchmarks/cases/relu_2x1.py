"""relu(2x + 1) over 512 x 8192 floats: eager PyTorch makes two temporaries, a fused kernel reads and writes once.

The timing case of the evaluator benchmark (benchmarks/evaluator.py): a kernel 3-7x faster than eager, whose
verdict must be `faster` in every run on a busy machine.
"""

import torch
import torch.nn as nn

CATEGORY = "fuse"
BATCH, DIM = 512, 8192
FLOPS = float(2 * BATCH * DIM)
BYTES_MOVED = float(2 * 4 * BATCH * DIM)


class Model(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(2 * x + 1)


def get_inputs():
    return [torch.randn(BATCH, DIM)]


def get_init_inputs():
    return []
