"""Prefix sum along the middle axis in Triton: each program owns a BLOCK-wide strip of the inner axis and walks
the scanned axis sequentially, so every load and store is contiguous."""

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def cumsum_mid_kernel(x_ptr, y_ptr, length, inner, BLOCK: tl.constexpr):
    b = tl.program_id(0)
    cols = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    mask = cols < inner
    acc = tl.zeros((BLOCK,), dtype=tl.float32)
    base = b * length * inner
    for t in range(0, length):
        acc += tl.load(x_ptr + base + t * inner + cols, mask=mask, other=0.0)
        tl.store(y_ptr + base + t * inner + cols, acc, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        outer = 1
        for s in x.shape[: self.dim]:
            outer *= s
        length = x.shape[self.dim]
        inner = x.numel() // max(outer * length, 1)
        y = torch.empty_like(x)
        BLOCK = 128
        cumsum_mid_kernel[(outer, triton.cdiv(inner, BLOCK))](x, y, length, inner, BLOCK=BLOCK)
        return y
