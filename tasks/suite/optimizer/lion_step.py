"""One Lion step (sign of an interpolated momentum, decoupled weight decay):
    p_new = param * (1 - lr * wd) - lr * sign(beta1 * m + (1 - beta1) * grad)
    m_new = beta2 * m + (1 - beta2) * grad
forward returns (p_new, m_new).
"""

import torch
import torch.nn as nn

CATEGORY = "optimizer"
LEVEL = 1
ROWS, COLS = 1024, 1024
LR, BETA1, BETA2, WEIGHT_DECAY = 1e-3, 0.9, 0.99, 0.1
SIZES = {"gpu": {"ROWS": 16384, "COLS": 16384}, "small": {"ROWS": 4, "COLS": 100}}
FLOPS = float(8 * ROWS * COLS)
BYTES_MOVED = float(5 * 4 * ROWS * COLS)


class Model(nn.Module):
    def __init__(self, lr: float, beta1: float, beta2: float, weight_decay: float):
        super().__init__()
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.weight_decay = weight_decay

    def forward(self, param: torch.Tensor, grad: torch.Tensor, exp_avg: torch.Tensor):
        update = torch.sign(self.beta1 * exp_avg + (1 - self.beta1) * grad)
        p_new = param * (1 - self.lr * self.weight_decay) - self.lr * update
        m_new = self.beta2 * exp_avg + (1 - self.beta2) * grad
        return p_new, m_new


def get_inputs():
    return [torch.randn(ROWS, COLS), torch.randn(ROWS, COLS), torch.randn(ROWS, COLS) * 0.1]


def get_init_inputs():
    return [LR, BETA1, BETA2, WEIGHT_DECAY]


def get_input_groups():
    # An odd size, a tiny 1-D tensor, zero gradient and momentum (sign(0) = 0), and heavy tails.
    return [
        [torch.randn(333, 77), torch.randn(333, 77), torch.randn(333, 77)],
        [torch.randn(3), torch.randn(3), torch.randn(3)],
        [torch.randn(64, 33), torch.zeros(64, 33), torch.zeros(64, 33)],
        [torch.randn(100, 10), torch.randn(100, 10) ** 3, -torch.rand(100, 10)],
    ]
