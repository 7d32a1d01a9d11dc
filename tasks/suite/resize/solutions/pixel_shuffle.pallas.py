"""PixelShuffle as a Pallas kernel: each input element is moved to its place in the upscaled map inside the
kernel; tensors cross to JAX and back through DLPack (no copies)."""

import functools

import jax
import torch
import torch.nn as nn
from jax.experimental import pallas as pl


def pixel_shuffle_kernel(x_ref, o_ref, *, r):
    n, c, h, w = o_ref.shape[0], o_ref.shape[1], x_ref.shape[2], x_ref.shape[3]
    x = x_ref[...].reshape(n, c, r, r, h, w)
    o_ref[...] = x.transpose(0, 1, 4, 2, 5, 3).reshape(n, c, h * r, w * r)


class ModelNew(nn.Module):
    def __init__(self, factor: int):
        super().__init__()
        self.factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        r = self.factor
        xj = jax.dlpack.from_dlpack(x.contiguous())
        kernel = functools.partial(pixel_shuffle_kernel, r=r)
        out = pl.pallas_call(kernel, out_shape=jax.ShapeDtypeStruct((n, c // (r * r), h * r, w * r), xj.dtype))(xj)
        return torch.from_dlpack(out)
