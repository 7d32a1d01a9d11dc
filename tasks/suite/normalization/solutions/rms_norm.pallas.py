"""RMSNorm as a Pallas kernel: per-row mean of squares, rsqrt and the weight in one pass; tensors cross to JAX and
back through DLPack (no copies)."""

import functools

import jax
import jax.numpy as jnp
import torch
import torch.nn as nn
from jax.experimental import pallas as pl


def rms_norm_kernel(x_ref, w_ref, o_ref, *, eps):
    x = x_ref[...]
    o_ref[...] = x * jax.lax.rsqrt(jnp.mean(x * x, axis=-1, keepdims=True) + eps) * w_ref[...]


class ModelNew(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.rand(dim) + 0.5, requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xj = jax.dlpack.from_dlpack(x.contiguous().reshape(-1, x.shape[-1]))
        wj = jax.dlpack.from_dlpack(self.weight.detach().reshape(1, -1))
        kernel = functools.partial(rms_norm_kernel, eps=self.eps)
        out = pl.pallas_call(kernel, out_shape=jax.ShapeDtypeStruct(xj.shape, xj.dtype))(xj, wj)
        return torch.from_dlpack(out).reshape(x.shape)
