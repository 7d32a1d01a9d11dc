"""One SGD step with Nesterov momentum and weight decay (torch.optim.SGD, nesterov=True):
    g = grad + wd * param
    buf_new = momentum * buf + g
    p_new = param - lr * (g + momentum * buf_new)
forward returns (p_new, buf_new).
"""

import torch
import torch.nn as nn

CATEGORY = "optimizer"
LEVEL = 1
ROWS, COLS = 1024, 1024
LR, MOMENTUM, WEIGHT_DECAY = 0.1, 0.9, 5e-4
SIZES = {"gpu": {"ROWS": 16384, "COLS": 16384}, "small": {"ROWS": 4, "COLS": 100}}
FLOPS = float(6 * ROWS * COLS)
BYTES_MOVED = float(5 * 4 * ROWS * COLS)


class Model(nn.Module):
    def __init__(self, lr: float, momentum: float, weight_decay: float):
        super().__init__()
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay

    def forward(self, param: torch.Tensor, grad: torch.Tensor, momentum_buffer: torch.Tensor):
        g = grad + self.weight_decay * param
        buf_new = self.momentum * momentum_buffer + g
        p_new = param - self.lr * (g + self.momentum * buf_new)
        return p_new, buf_new


def get_inputs():
    return [torch.randn(ROWS, COLS), torch.randn(ROWS, COLS), torch.randn(ROWS, COLS)]


def get_init_inputs():
    return [LR, MOMENTUM, WEIGHT_DECAY]


def get_input_groups():
    # An odd size, a tiny 1-D tensor, only weight decay acting on large weights, and heavy tails.
    return [
        [torch.randn(333, 77), torch.randn(333, 77), torch.randn(333, 77)],
        [torch.randn(3), torch.randn(3), torch.randn(3)],
        [torch.randn(64, 33) * 100.0, torch.zeros(64, 33), torch.zeros(64, 33)],
        [torch.randn(100, 10), torch.randn(100, 10) ** 3, torch.randn(100, 10) ** 3],
    ]
