"""One LSTM cell step (nn.LSTMCell): gates = x W_ih^T + b_ih + h W_hh^T + b_hh split into i, f, g, o;
c' = sigmoid(f) * c + sigmoid(i) * tanh(g); h' = sigmoid(o) * tanh(c'). Returns (h', c').
"""

import torch
import torch.nn as nn

CATEGORY = "arch"
LEVEL = 3
BATCH, INPUT, HIDDEN = 256, 512, 512
SIZES = {"gpu": {"BATCH": 8192, "INPUT": 4096, "HIDDEN": 4096}, "small": {"BATCH": 4, "INPUT": 16, "HIDDEN": 8}}
FLOPS = float(2 * BATCH * 4 * HIDDEN * (INPUT + HIDDEN) + 10 * BATCH * HIDDEN)
BYTES_MOVED = float(4 * (BATCH * (INPUT + 4 * HIDDEN) + 4 * HIDDEN * (INPUT + HIDDEN)))
# Several layers of fp32 matmuls/convolutions in sequence: rounding differences of another valid summation
# order compound across layers beyond the default atol.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-3}


class Model(nn.Module):
    def __init__(self, input_size: int, hidden: int):
        super().__init__()
        self.cell = nn.LSTMCell(input_size, hidden)

    def forward(self, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor):
        return self.cell(x, (h, c))


def get_inputs():
    return [torch.randn(BATCH, INPUT), torch.randn(BATCH, HIDDEN), torch.randn(BATCH, HIDDEN)]


def get_init_inputs():
    return [INPUT, HIDDEN]


def get_input_groups():
    # An odd batch, a zero initial state, saturating gates with a large cell state, and heavy tails.
    return [
        [torch.randn(7, INPUT), torch.randn(7, HIDDEN), torch.randn(7, HIDDEN)],
        [torch.randn(1, INPUT), torch.zeros(1, HIDDEN), torch.zeros(1, HIDDEN)],
        [torch.randn(33, INPUT) * 10.0, torch.randn(33, HIDDEN), torch.randn(33, HIDDEN) * 5.0],
        [torch.randn(16, INPUT) ** 3, torch.rand(16, HIDDEN) * 2 - 1, torch.randn(16, HIDDEN)],
    ]
