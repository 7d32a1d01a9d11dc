"""One GRU cell step (nn.GRUCell): r = sigmoid(...), z = sigmoid(...), n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),
h' = (1 - z) * n + z * h.
"""

import torch
import torch.nn as nn

CATEGORY = "arch"
LEVEL = 3
BATCH, INPUT, HIDDEN = 256, 512, 512
SIZES = {"gpu": {"BATCH": 8192, "INPUT": 4096, "HIDDEN": 4096}, "small": {"BATCH": 4, "INPUT": 16, "HIDDEN": 8}}
FLOPS = float(2 * BATCH * 3 * HIDDEN * (INPUT + HIDDEN) + 12 * BATCH * HIDDEN)
BYTES_MOVED = float(4 * (BATCH * (INPUT + 2 * HIDDEN) + 3 * HIDDEN * (INPUT + HIDDEN)))
# Several layers of fp32 matmuls/convolutions in sequence: rounding differences of another valid summation
# order compound across layers beyond the default atol.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-3}


class Model(nn.Module):
    def __init__(self, input_size: int, hidden: int):
        super().__init__()
        self.cell = nn.GRUCell(input_size, hidden)

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return self.cell(x, h)


def get_inputs():
    return [torch.randn(BATCH, INPUT), torch.randn(BATCH, HIDDEN)]


def get_init_inputs():
    return [INPUT, HIDDEN]


def get_input_groups():
    # An odd batch, a zero initial state, saturating gates, and heavy tails.
    return [
        [torch.randn(7, INPUT), torch.randn(7, HIDDEN)],
        [torch.randn(1, INPUT), torch.zeros(1, HIDDEN)],
        [torch.randn(33, INPUT) * 10.0, torch.randn(33, HIDDEN) * 3.0],
        [torch.randn(16, INPUT) ** 3, torch.rand(16, HIDDEN)],
    ]
