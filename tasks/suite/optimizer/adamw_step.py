"""One AdamW step (torch.optim.AdamW, single-tensor path) at a fixed step count.

    p       = param * (1 - lr * weight_decay)                  # decoupled weight decay
    m_new   = beta1 * m + (1 - beta1) * grad
    v_new   = beta2 * v + (1 - beta2) * grad * grad
    denom   = sqrt(v_new) / sqrt(1 - beta2 ** step) + eps
    p_new   = p - lr / (1 - beta1 ** step) * m_new / denom

forward(param, grad, exp_avg, exp_avg_sq) returns (p_new, m_new, v_new) as new tensors; the
inputs are left untouched.
"""

import math

import torch
import torch.nn as nn

CATEGORY = "optimizer"
LEVEL = 2
ROWS, COLS = 1024, 1024
SIZES = {"gpu": {"ROWS": 16384, "COLS": 16384}, "small": {"ROWS": 4, "COLS": 100}}
LR, BETA1, BETA2, EPS, WEIGHT_DECAY, STEP = 0.01, 0.9, 0.999, 1e-8, 0.01, 10
# Per element: 1 (decay) + 3 (m) + 4 (v) + 3 (sqrt, divide, + eps) + 3 (m / denom, * step size, subtract).
FLOPS = float(14 * ROWS * COLS)
# Read param, grad, exp_avg, exp_avg_sq; write p_new, m_new, v_new.
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
        p = param * (1 - self.lr * self.weight_decay)
        m_new = exp_avg * self.beta1 + grad * (1 - self.beta1)
        v_new = exp_avg_sq * self.beta2 + grad * grad * (1 - self.beta2)
        bias_correction1 = 1 - self.beta1**self.step
        bias_correction2 = 1 - self.beta2**self.step
        step_size = self.lr / bias_correction1
        denom = v_new.sqrt() / math.sqrt(bias_correction2) + self.eps
        p_new = p - step_size * (m_new / denom)
        return p_new, m_new, v_new


def get_inputs():
    return [
        torch.randn(ROWS, COLS),
        torch.randn(ROWS, COLS),
        torch.randn(ROWS, COLS) * 0.1,
        torch.rand(ROWS, COLS) * 0.01,
    ]


def get_init_inputs():
    return [LR, BETA1, BETA2, EPS, WEIGHT_DECAY, STEP]


def get_input_groups():
    # An odd size; a tiny 1-D tensor; heavy-tailed gradients; and a fresh state (m = v = 0) with
    # tiny gradients, where eps in the denominator matters.
    return [
        [torch.randn(333, 77), torch.randn(333, 77), torch.randn(333, 77) * 0.1, torch.rand(333, 77)],
        [torch.randn(3), torch.randn(3), torch.randn(3), torch.rand(3)],
        [torch.randn(257, 129), torch.randn(257, 129) ** 3, torch.randn(257, 129), torch.rand(257, 129) * 5],
        [torch.randn(64, 33), torch.randn(64, 33) * 1e-6, torch.zeros(64, 33), torch.zeros(64, 33)],
    ]
