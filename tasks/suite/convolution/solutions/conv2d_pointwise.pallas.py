"""1x1 convolution as a Pallas kernel: one program per image, out = W @ x[n] + bias over the flattened pixels.
Tensors cross to JAX and back through DLPack (no copies)."""

import jax
import jax.numpy as jnp
import torch
import torch.nn as nn
from jax.experimental import pallas as pl


def pointwise_kernel(x_ref, w_ref, b_ref, o_ref):
    o_ref[...] = jnp.dot(w_ref[...], x_ref[...]) + b_ref[...]


class ModelNew(nn.Module):
    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c_in, h, w = x.shape
        c_out = self.conv.out_channels
        xj = jax.dlpack.from_dlpack(x.contiguous().reshape(n, c_in, h * w))
        wj = jax.dlpack.from_dlpack(self.conv.weight.detach().reshape(c_out, c_in))
        bj = jax.dlpack.from_dlpack(self.conv.bias.detach().reshape(c_out, 1))
        out = pl.pallas_call(
            pointwise_kernel, grid=(n,),
            in_specs=[pl.BlockSpec((None, c_in, h * w), lambda i: (i, 0, 0)),
                      pl.BlockSpec((c_out, c_in), lambda i: (0, 0)),
                      pl.BlockSpec((c_out, 1), lambda i: (0, 0))],
            out_specs=pl.BlockSpec((None, c_out, h * w), lambda i: (i, 0, 0)),
            out_shape=jax.ShapeDtypeStruct((n, c_out, h * w), xj.dtype))(xj, wj, bj)
        return torch.from_dlpack(out).reshape(n, c_out, h, w)
