"""Pixel shuffle in Triton: each output element computes the input element it comes from (a pure gather)."""

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def pixel_shuffle_kernel(x_ptr, y_ptr, n, C, H, W, R: tl.constexpr, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    ow = offs % (W * R)
    oh = (offs // (W * R)) % (H * R)
    c = (offs // (W * R * H * R)) % C
    b = offs // (W * R * H * R * C)
    ic = c * R * R + (oh % R) * R + (ow % R)
    src = ((b * C * R * R + ic) * H + oh // R) * W + ow // R
    tl.store(y_ptr + offs, tl.load(x_ptr + src, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def __init__(self, factor: int):
        super().__init__()
        self.factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        b, cr2, h, w = x.shape
        r = self.factor
        y = torch.empty((b, cr2 // (r * r), h * r, w * r), dtype=x.dtype, device=x.device)
        n = y.numel()
        BLOCK = 1024
        pixel_shuffle_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, cr2 // (r * r), h, w, R=r, BLOCK=BLOCK)
        return y
