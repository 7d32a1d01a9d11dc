"""One Adam step (torch.optim.Adam, L2 weight decay folded into the gradient) at a fixed step count:
    g = grad + weight_decay * param
    m_new = beta1 * m + (1 - beta1) * g
    v_new = beta2 * v + (1 - beta2) * g * g
    p_new = param - lr / (1 - beta1^step) * m_new / (sqrt(v_new / (1 - beta2^step)) + eps)
forward returns (p_new, m_new, v_new) as new tensors; the inputs are left untouched.
"""

import torch
import torch.nn as nn

CATEGORY = "optimizer"
LEVEL = 1
ROWS, COLS = 1024, 1024
LR, BETA1, BETA2, EPS, WEIGHT_DECAY, STEP = 1e-3, 0.9, 0.999, 1e-8, 0.01, 5
SIZES = {"gpu": {"ROWS": 16384, "COLS": 16384}, "small": {"ROWS": 4, "COLS": 100}}
FLOPS = float(16 * ROWS * COLS)
BYTES_MOVED = float(7 * 4 * ROWS * COLS)


class Model(nn.Module):
    def __init__(self, lr: float, beta1: float, beta2: float, eps: float, weight_decay: float, step: int):
        super().__init__()
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weight_decay = weight_decay
        self.step = step

    def forward(self, param: torch.Tensor, grad: torch.Tensor, exp_avg: torch.Tensor, exp_avg_sq: torch.Tensor):
        g = grad + self.weight_decay * param
        m_new = self.beta1 * exp_avg + (1 - self.beta1) * g
        v_new = self.beta2 * exp_avg_sq + (1 - self.beta2) * g * g
        denom = (v_new / (1 - self.beta2**self.step)).sqrt() + self.eps
        p_new = param - self.lr / (1 - self.beta1**self.step) * m_new / denom
        return p_new, m_new, v_new


def get_inputs():
    return [
        torch.randn(ROWS, COLS), torch.randn(ROWS, COLS), torch.randn(ROWS, COLS) * 0.1, torch.rand(ROWS, COLS) * 0.01
    ]


def get_init_inputs():
    return [LR, BETA1, BETA2, EPS, WEIGHT_DECAY, STEP]


def get_input_groups():
    # An odd size, a tiny 1-D tensor, a fresh state with tiny gradients (eps matters), and heavy-tailed gradients.
    return [
        [torch.randn(333, 77), torch.randn(333, 77), torch.randn(333, 77) * 0.1, torch.rand(333, 77)],
        [torch.randn(3), torch.randn(3), torch.randn(3), torch.rand(3)],
        [torch.randn(64, 33), torch.randn(64, 33) * 1e-6, torch.zeros(64, 33), torch.zeros(64, 33)],
        [torch.randn(100, 10), torch.randn(100, 10) ** 3, torch.randn(100, 10), torch.rand(100, 10) * 5],
    ]
