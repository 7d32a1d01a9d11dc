"""Row 1: a Pallas kernel is built (so the static check is satisfied) but forward never launches it.

Expected: rejected / kernel_not_called (run time: the platform's pallas_call launch counter did not move).
"""

import jax
import jax.numpy as jnp
import torch
import torch.nn as nn
from jax.experimental import pallas as pl


def relu_kernel(x_ref, o_ref):
    o_ref[...] = jnp.maximum(x_ref[...], 0.0)


relu = pl.pallas_call(relu_kernel, out_shape=jax.ShapeDtypeStruct((1,), jnp.float32))


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.clone()
