"""One Adagrad step (torch.optim.Adagrad, no decay):
    s_new = s + grad^2
    p_new = param - lr * grad / (sqrt(s_new) + eps)
forward returns (p_new, s_new).
"""

import torch
import torch.nn as nn

CATEGORY = "optimizer"
LEVEL = 1
ROWS, COLS = 1024, 1024
LR, EPS = 0.05, 1e-10
SIZES = {"gpu": {"ROWS": 16384, "COLS": 16384}, "small": {"ROWS": 4, "COLS": 100}}
FLOPS = float(6 * ROWS * COLS)
BYTES_MOVED = float(5 * 4 * ROWS * COLS)


class Model(nn.Module):
    def __init__(self, lr: float, eps: float):
        super().__init__()
        self.lr = lr
        self.eps = eps

    def forward(self, param: torch.Tensor, grad: torch.Tensor, state_sum: torch.Tensor):
        s_new = state_sum + grad * grad
        p_new = param - self.lr * grad / (s_new.sqrt() + self.eps)
        return p_new, s_new


def get_inputs():
    return [torch.randn(ROWS, COLS), torch.randn(ROWS, COLS), torch.rand(ROWS, COLS)]


def get_init_inputs():
    return [LR, EPS]


def get_input_groups():
    # An odd size, a tiny 1-D tensor, a fresh state with tiny gradients, and heavy tails with a large history.
    return [
        [torch.randn(333, 77), torch.randn(333, 77), torch.rand(333, 77)],
        [torch.randn(3), torch.randn(3), torch.rand(3)],
        [torch.randn(64, 33), torch.randn(64, 33) * 1e-6, torch.zeros(64, 33)],
        [torch.randn(100, 10), torch.randn(100, 10) ** 3, torch.rand(100, 10) * 100],
    ]
