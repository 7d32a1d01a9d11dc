"""Scaled dot-product attention in Pallas: one program per (batch, head), scores, a max-shifted softmax and the
weighted sum of values all inside the kernel. Tensors cross to JAX and back through DLPack (no copies)."""

import functools
import math

import jax
import jax.numpy as jnp
import torch
import torch.nn as nn
from jax.experimental import pallas as pl


def attention_kernel(q_ref, k_ref, v_ref, o_ref, *, scale):
    q, k, v = q_ref[...], k_ref[...], v_ref[...]
    s = jax.lax.dot_general(q, k, (((1,), (1,)), ((), ()))) * scale
    p = jnp.exp(s - jnp.max(s, axis=-1, keepdims=True))
    o_ref[...] = jnp.dot(p / jnp.sum(p, axis=-1, keepdims=True), v)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        b, h, sq, d = q.shape
        sk, dv = k.shape[2], v.shape[3]
        qj, kj, vj = (jax.dlpack.from_dlpack(t.contiguous().reshape(b * h, t.shape[2], t.shape[3])) for t in (q, k, v))

        def block(rows, cols):
            return pl.BlockSpec((None, rows, cols), lambda i: (i, 0, 0))

        kernel = functools.partial(attention_kernel, scale=1.0 / math.sqrt(d))
        out = pl.pallas_call(kernel, grid=(b * h,), in_specs=[block(sq, d), block(sk, d), block(sk, dv)],
                             out_specs=block(sq, dv),
                             out_shape=jax.ShapeDtypeStruct((b * h, sq, dv), qj.dtype))(qj, kj, vj)
        return torch.from_dlpack(out).reshape(b, h, sq, dv)
