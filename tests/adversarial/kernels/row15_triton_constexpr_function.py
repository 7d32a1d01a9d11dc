"""Row 15: a `triton.constexpr_function` runs Python while the kernel compiles, when the harness lets its
own compiler start processes and write its cache, so code there would run outside the sandbox's checks.

Expected: rejected / banned_call (static: `constexpr_function`).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.constexpr_function
def block_size(n):
    return 1024


@triton.jit
def relu_kernel(x_ptr, y_ptr, n):
    BLOCK: tl.constexpr = block_size(n)
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n
    tl.store(y_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel())
        return y
