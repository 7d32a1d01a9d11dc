"""Mean over the last axis as a Pallas kernel; tensors cross to JAX and back through DLPack (no copies)."""

import jax
import jax.numpy as jnp
import torch
import torch.nn as nn
from jax.experimental import pallas as pl


def mean_kernel(x_ref, o_ref):
    o_ref[...] = jnp.mean(x_ref[...], axis=-1)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xj = jax.dlpack.from_dlpack(x.contiguous().reshape(-1, x.shape[-1]))
        out = pl.pallas_call(mean_kernel, out_shape=jax.ShapeDtypeStruct((xj.shape[0],), xj.dtype))(xj)
        return torch.from_dlpack(out).reshape(x.shape[:-1])
