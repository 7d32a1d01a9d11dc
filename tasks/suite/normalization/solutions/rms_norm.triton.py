"""RMS norm in Triton: one program per row, two passes (sum of squares, then scale) over BLOCK-wide slices."""

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def rms_norm_kernel(x_ptr, w_ptr, y_ptr, dim, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    acc = tl.zeros((BLOCK,), dtype=tl.float32)
    for start in range(0, dim, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        x = tl.load(x_ptr + row * dim + offs, mask=offs < dim, other=0.0)
        acc += x * x
    inv = 1.0 / tl.sqrt(tl.sum(acc, axis=0) / dim + eps)
    for start in range(0, dim, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        mask = offs < dim
        x = tl.load(x_ptr + row * dim + offs, mask=mask)
        w = tl.load(w_ptr + offs, mask=mask)
        tl.store(y_ptr + row * dim + offs, x * inv * w, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.rand(dim) + 0.5, requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        dim = x.shape[-1]
        y = torch.empty_like(x)
        rms_norm_kernel[(x.numel() // dim,)](x, self.weight, y, dim, self.eps, BLOCK=1024)
        return y
