"""Bias add over the last dimension in Triton: the bias index is the flat index modulo the row length."""

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def bias_add_kernel(x_ptr, b_ptr, y_ptr, n, dim, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    b = tl.load(b_ptr + offs % dim, mask=mask)
    tl.store(y_ptr + offs, x + b, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        b = b.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        BLOCK = 1024
        bias_add_kernel[(triton.cdiv(n, BLOCK),)](x, b, y, n, b.numel(), BLOCK=BLOCK)
        return y
