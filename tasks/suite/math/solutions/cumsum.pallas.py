"""Cumulative sum along one axis as a Pallas kernel; tensors cross to JAX and back through DLPack (no copies)."""

import functools

import jax
import jax.numpy as jnp
import torch
import torch.nn as nn
from jax.experimental import pallas as pl


def cumsum_kernel(x_ref, o_ref, *, axis):
    o_ref[...] = jnp.cumsum(x_ref[...], axis=axis)


class ModelNew(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xj = jax.dlpack.from_dlpack(x.contiguous())
        kernel = functools.partial(cumsum_kernel, axis=self.dim % x.dim())
        out = pl.pallas_call(kernel, out_shape=jax.ShapeDtypeStruct(xj.shape, xj.dtype))(xj)
        return torch.from_dlpack(out)
