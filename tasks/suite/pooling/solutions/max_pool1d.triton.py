"""1-D max pooling in Triton: one output element per lane; out-of-range taps read -inf so padding never wins."""

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def max_pool1d_kernel(x_ptr, y_ptr, n_out, length, out_len, KERNEL: tl.constexpr, STRIDE: tl.constexpr,
                      PADDING: tl.constexpr, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_out
    row = offs // out_len
    start = (offs % out_len) * STRIDE - PADDING
    best = tl.full((BLOCK,), float("-inf"), dtype=tl.float32)
    for k in tl.static_range(KERNEL):
        pos = start + k
        ok = mask & (pos >= 0) & (pos < length)
        best = tl.maximum(best, tl.load(x_ptr + row * length + pos, mask=ok, other=float("-inf")))
    tl.store(y_ptr + offs, best, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, kernel_size: int, stride: int, padding: int):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        b, c, length = x.shape
        out_len = (length + 2 * self.padding - self.kernel_size) // self.stride + 1
        y = torch.empty((b, c, out_len), dtype=x.dtype, device=x.device)
        n = y.numel()
        BLOCK = 1024
        max_pool1d_kernel[(triton.cdiv(n, BLOCK),)](x, y, n, length, out_len, KERNEL=self.kernel_size,
                                                   STRIDE=self.stride, PADDING=self.padding, BLOCK=BLOCK)
        return y
