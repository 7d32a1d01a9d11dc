"""ReLU as a Pallas kernel over the whole tensor, viewed as JAX arrays through DLPack (no copies)."""

import jax
import jax.numpy as jnp
import torch
import torch.nn as nn
from jax.experimental import pallas as pl


def relu_kernel(x_ref, o_ref):
    o_ref[...] = jnp.maximum(x_ref[...], 0.0)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xj = jax.dlpack.from_dlpack(x.contiguous())
        out = pl.pallas_call(relu_kernel, out_shape=jax.ShapeDtypeStruct(xj.shape, xj.dtype))(xj)
        return torch.from_dlpack(out)
