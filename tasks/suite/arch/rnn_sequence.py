"""A tanh RNN over a whole sequence (nn.RNN, 1 layer, batch_first): h_t = tanh(x_t W_ih^T + b_ih +
h_{t-1} W_hh^T + b_hh), h_0 = 0; returns every h_t, shape (B, T, HIDDEN). The time steps are sequential.
"""

import torch
import torch.nn as nn

CATEGORY = "arch"
LEVEL = 3
BATCH, STEPS, INPUT, HIDDEN = 32, 64, 128, 256
SIZES = {
    "gpu": {"BATCH": 512, "STEPS": 256, "INPUT": 1024, "HIDDEN": 1024},
    "small": {"BATCH": 2, "STEPS": 5, "INPUT": 8, "HIDDEN": 16},
}
FLOPS = float(2 * BATCH * STEPS * HIDDEN * (INPUT + HIDDEN) + 10 * BATCH * STEPS * HIDDEN)
BYTES_MOVED = float(4 * (BATCH * STEPS * (INPUT + HIDDEN) + HIDDEN * (INPUT + HIDDEN)))
# Several layers of fp32 matmuls/convolutions in sequence: rounding differences of another valid summation
# order compound across layers beyond the default atol.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-3}


class Model(nn.Module):
    def __init__(self, input_size: int, hidden: int):
        super().__init__()
        self.rnn = nn.RNN(input_size, hidden, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rnn(x)[0]


def get_inputs():
    return [torch.randn(BATCH, STEPS, INPUT)]


def get_init_inputs():
    return [INPUT, HIDDEN]


def get_input_groups():
    # A long odd sequence, a single step, saturating pre-activations, and heavy tails.
    return [
        [torch.randn(3, 77, INPUT)],
        [torch.randn(5, 1, INPUT)],
        [torch.randn(2, 20, INPUT) * 5.0],
        [torch.randn(4, 30, INPUT) ** 3],
    ]
