"""Row means in Triton: one program per row, accumulating BLOCK-wide slices in fp32."""

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def row_mean_kernel(x_ptr, y_ptr, dim, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    acc = tl.zeros((BLOCK,), dtype=tl.float32)
    for start in range(0, dim, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        acc += tl.load(x_ptr + row * dim + offs, mask=offs < dim, other=0.0)
    tl.store(y_ptr + row, tl.sum(acc, axis=0) / dim)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        dim = x.shape[-1]
        rows = x.numel() // dim
        y = torch.empty(x.shape[:-1], dtype=x.dtype, device=x.device)
        row_mean_kernel[(rows,)](x, y, dim, BLOCK=1024)
        return y
