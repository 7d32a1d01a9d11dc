"""Row 1: a Pallas kernel is launched for show (a copy), and jax.numpy computes the answer in the forward, outside
any kernel: PyTorch's work done by another array library.

Expected: rejected / no_kernel (static: jax.numpy compute outside a kernel body is no Pallas kernel).
"""

import jax
import jax.numpy as jnp
import torch
import torch.nn as nn
from jax.experimental import pallas as pl


def copy_kernel(x_ref, o_ref):
    o_ref[...] = x_ref[...]


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xj = jnp.maximum(jax.dlpack.from_dlpack(x.contiguous()), 0.0)
        out = pl.pallas_call(copy_kernel, out_shape=jax.ShapeDtypeStruct(xj.shape, xj.dtype))(xj)
        return torch.from_dlpack(out)
