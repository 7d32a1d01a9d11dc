"""Mean squared error as one Pallas kernel (difference, square and mean in one pass); tensors cross to JAX and
back through DLPack (no copies)."""

import jax
import jax.numpy as jnp
import torch
import torch.nn as nn
from jax.experimental import pallas as pl


def mse_kernel(p_ref, t_ref, o_ref):
    d = p_ref[...] - t_ref[...]
    o_ref[...] = jnp.mean(d * d, keepdims=True)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        pj = jax.dlpack.from_dlpack(predictions.contiguous().reshape(1, -1))
        tj = jax.dlpack.from_dlpack(targets.contiguous().reshape(1, -1))
        out = pl.pallas_call(mse_kernel, out_shape=jax.ShapeDtypeStruct((1, 1), pj.dtype))(pj, tj)
        return torch.from_dlpack(out).reshape(())
