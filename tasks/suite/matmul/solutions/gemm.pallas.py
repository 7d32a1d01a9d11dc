"""C = A @ B as a Pallas kernel; tensors cross to JAX and back through DLPack (no copies)."""

import jax
import jax.numpy as jnp
import torch
import torch.nn as nn
from jax.experimental import pallas as pl


def matmul_kernel(a_ref, b_ref, o_ref):
    o_ref[...] = jnp.dot(a_ref[...], b_ref[...], preferred_element_type=jnp.float32)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        aj = jax.dlpack.from_dlpack(a.contiguous())
        bj = jax.dlpack.from_dlpack(b.contiguous())
        out = pl.pallas_call(matmul_kernel,
                             out_shape=jax.ShapeDtypeStruct((aj.shape[0], bj.shape[1]), aj.dtype))(aj, bj)
        return torch.from_dlpack(out)
