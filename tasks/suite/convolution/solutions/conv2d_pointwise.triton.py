"""Pointwise (1x1) convolution in Triton as a per-image GEMM: out[n] (C_out x HW) = W (C_out x C_in) @ x[n]
(C_in x HW), with the bias added to the accumulator tile."""

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def pointwise_kernel(x_ptr, w_ptr, b_ptr, y_ptr, C_IN, C_OUT, HW,
                     BLOCK_CO: tl.constexpr, BLOCK_P: tl.constexpr, BLOCK_CI: tl.constexpr):
    n = tl.program_id(2)
    co = tl.program_id(0) * BLOCK_CO + tl.arange(0, BLOCK_CO)
    p = tl.program_id(1) * BLOCK_P + tl.arange(0, BLOCK_P)
    ci = tl.arange(0, BLOCK_CI)
    acc = tl.zeros((BLOCK_CO, BLOCK_P), dtype=tl.float32)
    for c0 in range(0, C_IN, BLOCK_CI):
        w = tl.load(w_ptr + co[:, None] * C_IN + (c0 + ci)[None, :],
                    mask=(co[:, None] < C_OUT) & ((c0 + ci)[None, :] < C_IN), other=0.0)
        x = tl.load(x_ptr + n * C_IN * HW + (c0 + ci)[:, None] * HW + p[None, :],
                    mask=((c0 + ci)[:, None] < C_IN) & (p[None, :] < HW), other=0.0)
        acc += tl.dot(w, x, input_precision="ieee")
    acc += tl.load(b_ptr + co, mask=co < C_OUT, other=0.0)[:, None]
    tl.store(y_ptr + n * C_OUT * HW + co[:, None] * HW + p[None, :], acc,
             mask=(co[:, None] < C_OUT) & (p[None, :] < HW))


class ModelNew(nn.Module):
    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        n, c_in, h, w = x.shape
        c_out = self.conv.out_channels
        y = torch.empty((n, c_out, h, w), dtype=x.dtype, device=x.device)
        grid = (triton.cdiv(c_out, 32), triton.cdiv(h * w, 32), n)
        pointwise_kernel[grid](x, self.conv.weight, self.conv.bias, y, c_in, c_out, h * w,
                               BLOCK_CO=32, BLOCK_P=32, BLOCK_CI=32)
        return y
