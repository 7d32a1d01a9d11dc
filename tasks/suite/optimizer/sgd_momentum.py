"""One SGD step with momentum and L2 weight decay (torch.optim.SGD, dampening 0, after the first step).

    g       = grad + weight_decay * param
    buf_new = momentum * buf + g
    p_new   = param - lr * buf_new

forward(param, grad, buf) returns (p_new, buf_new) as new tensors; the inputs are left untouched.
"""

import torch
import torch.nn as nn

CATEGORY = "optimizer"
LEVEL = 1
ROWS, COLS = 1024, 2048
SIZES = {"gpu": {"ROWS": 16384, "COLS": 16384}, "small": {"ROWS": 4, "COLS": 100}}
LR, MOMENTUM, WEIGHT_DECAY = 0.05, 0.9, 1e-2
# Per element: 2 flops for g, 2 for the momentum buffer, 2 for the parameter update.
FLOPS = float(6 * ROWS * COLS)
# Read param, grad, buf; write p_new, buf_new.
BYTES_MOVED = float(5 * 4 * ROWS * COLS)


class Model(nn.Module):
    def __init__(self, lr: float, momentum: float, weight_decay: float):
        super().__init__()
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay

    def forward(self, param: torch.Tensor, grad: torch.Tensor, buf: torch.Tensor):
        g = grad + self.weight_decay * param
        buf_new = self.momentum * buf + g
        p_new = param - self.lr * buf_new
        return p_new, buf_new


def get_inputs():
    return [torch.randn(ROWS, COLS), torch.randn(ROWS, COLS) * 0.1, torch.randn(ROWS, COLS) * 0.1]


def get_init_inputs():
    return [LR, MOMENTUM, WEIGHT_DECAY]


def get_input_groups():
    # An odd 2-D size, a 1-D tensor shorter than one vector, heavy-tailed gradients,
    # and a 3-D parameter with a large negative momentum buffer.
    return [
        [torch.randn(1001, 37), torch.randn(1001, 37), torch.randn(1001, 37)],
        [torch.randn(5), torch.randn(5), torch.randn(5)],
        [torch.randn(513, 129), torch.randn(513, 129) ** 3, torch.randn(513, 129)],
        [torch.randn(3, 17, 65), torch.randn(3, 17, 65), torch.randn(3, 17, 65) - 4.0],
    ]
