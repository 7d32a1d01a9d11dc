"""Sum over the middle dimension in Triton: each program owns BLOCK_D adjacent columns of one batch row and
walks down the reduced axis, so every load is a contiguous (coalesced) run of BLOCK_D floats."""

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def sum_dim1_kernel(x_ptr, y_ptr, R, D, BLOCK_D: tl.constexpr):
    b = tl.program_id(0)
    cols = tl.program_id(1) * BLOCK_D + tl.arange(0, BLOCK_D)
    mask = cols < D
    acc = tl.zeros([BLOCK_D], dtype=tl.float32)
    row = x_ptr + b * R * D + cols
    for r in range(0, R):
        acc += tl.load(row + r * D, mask=mask, other=0.0)
    tl.store(y_ptr + b * D + cols, acc, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        batch, reduce, inner = x.shape
        y = torch.empty(batch, inner, device=x.device, dtype=x.dtype)
        block = 128
        sum_dim1_kernel[(batch, triton.cdiv(inner, block))](x, y, reduce, inner, BLOCK_D=block)
        return y
