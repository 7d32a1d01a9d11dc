"""One RMSprop step (torch.optim.RMSprop, no momentum, not centered):
    v_new = alpha * v + (1 - alpha) * grad^2
    p_new = param - lr * grad / (sqrt(v_new) + eps)
forward returns (p_new, v_new) as new tensors.
"""

import torch
import torch.nn as nn

CATEGORY = "optimizer"
LEVEL = 1
ROWS, COLS = 1024, 1024
LR, ALPHA, EPS = 0.01, 0.99, 1e-8
SIZES = {"gpu": {"ROWS": 16384, "COLS": 16384}, "small": {"ROWS": 4, "COLS": 100}}
FLOPS = float(7 * ROWS * COLS)
BYTES_MOVED = float(5 * 4 * ROWS * COLS)


class Model(nn.Module):
    def __init__(self, lr: float, alpha: float, eps: float):
        super().__init__()
        self.lr = lr
        self.alpha = alpha
        self.eps = eps

    def forward(self, param: torch.Tensor, grad: torch.Tensor, square_avg: torch.Tensor):
        v_new = self.alpha * square_avg + (1 - self.alpha) * grad * grad
        p_new = param - self.lr * grad / (v_new.sqrt() + self.eps)
        return p_new, v_new


def get_inputs():
    return [torch.randn(ROWS, COLS), torch.randn(ROWS, COLS), torch.rand(ROWS, COLS) * 0.01]


def get_init_inputs():
    return [LR, ALPHA, EPS]


def get_input_groups():
    # An odd size, a tiny 1-D tensor, a fresh state with tiny gradients (eps matters), and heavy-tailed gradients.
    return [
        [torch.randn(333, 77), torch.randn(333, 77), torch.rand(333, 77)],
        [torch.randn(3), torch.randn(3), torch.rand(3)],
        [torch.randn(64, 33), torch.randn(64, 33) * 1e-7, torch.zeros(64, 33)],
        [torch.randn(100, 10), torch.randn(100, 10) ** 3, torch.rand(100, 10) * 5],
    ]
