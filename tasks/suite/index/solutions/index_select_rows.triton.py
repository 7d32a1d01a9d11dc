"""Row gather in Triton: program (i, j) copies a BLOCK-wide slice of source row index[i] to output row i."""

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def index_select_kernel(x_ptr, idx_ptr, y_ptr, dim, BLOCK: tl.constexpr):
    i = tl.program_id(0)
    cols = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    mask = cols < dim
    src = tl.load(idx_ptr + i)
    tl.store(y_ptr + i * dim + cols, tl.load(x_ptr + src * dim + cols, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        index = index.contiguous()
        dim = x.shape[1]
        y = torch.empty((index.numel(), dim), dtype=x.dtype, device=x.device)
        BLOCK = 256
        index_select_kernel[(index.numel(), triton.cdiv(dim, BLOCK))](x, index, y, dim, BLOCK=BLOCK)
        return y
