"""One RMSprop step as a single elementwise Triton kernel writing both the new parameter and the new state."""

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def rmsprop_kernel(p_ptr, g_ptr, v_ptr, p_out, v_out, n, lr, alpha, eps, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    p = tl.load(p_ptr + offs, mask=mask)
    g = tl.load(g_ptr + offs, mask=mask)
    v = alpha * tl.load(v_ptr + offs, mask=mask) + (1.0 - alpha) * g * g
    tl.store(v_out + offs, v, mask=mask)
    tl.store(p_out + offs, p - lr * g / (tl.sqrt(v) + eps), mask=mask)


class ModelNew(nn.Module):
    def __init__(self, lr: float, alpha: float, eps: float):
        super().__init__()
        self.lr = lr
        self.alpha = alpha
        self.eps = eps

    def forward(self, param: torch.Tensor, grad: torch.Tensor, square_avg: torch.Tensor):
        param, grad, square_avg = param.contiguous(), grad.contiguous(), square_avg.contiguous()
        p_new = torch.empty_like(param)
        v_new = torch.empty_like(param)
        n = param.numel()
        BLOCK = 1024
        rmsprop_kernel[(triton.cdiv(n, BLOCK),)](param, grad, square_avg, p_new, v_new, n,
                                                 self.lr, self.alpha, self.eps, BLOCK=BLOCK)
        return p_new, v_new
