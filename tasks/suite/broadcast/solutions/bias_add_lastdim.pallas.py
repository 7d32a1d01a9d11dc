"""x + b over the last axis as a Pallas kernel; tensors cross to JAX and back through DLPack (no copies)."""

import jax
import torch
import torch.nn as nn
from jax.experimental import pallas as pl


def bias_add_kernel(x_ref, b_ref, o_ref):
    o_ref[...] = x_ref[...] + b_ref[...]


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        xj = jax.dlpack.from_dlpack(x.contiguous().reshape(-1, x.shape[-1]))
        bj = jax.dlpack.from_dlpack(b.contiguous().reshape(1, -1))
        out = pl.pallas_call(bias_add_kernel, out_shape=jax.ShapeDtypeStruct(xj.shape, xj.dtype))(xj, bj)
        return torch.from_dlpack(out).reshape(x.shape)
