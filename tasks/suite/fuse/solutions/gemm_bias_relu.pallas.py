"""relu(x @ W^T + b) as one Pallas kernel (the epilogue fused after the matmul); tensors cross to JAX and back
through DLPack (no copies)."""

import jax
import jax.numpy as jnp
import torch
import torch.nn as nn
from jax.experimental import pallas as pl


def linear_relu_kernel(x_ref, w_ref, b_ref, o_ref):
    acc = jax.lax.dot_general(x_ref[...], w_ref[...], (((1,), (1,)), ((), ())))
    o_ref[...] = jnp.maximum(acc + b_ref[...], 0.0)


class ModelNew(nn.Module):
    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lead = x.shape[:-1]
        xj = jax.dlpack.from_dlpack(x.contiguous().reshape(-1, x.shape[-1]))
        wj = jax.dlpack.from_dlpack(self.linear.weight.detach())
        bj = jax.dlpack.from_dlpack(self.linear.bias.detach().reshape(1, -1))
        n_out = self.linear.out_features
        out = pl.pallas_call(linear_relu_kernel,
                             out_shape=jax.ShapeDtypeStruct((xj.shape[0], n_out), xj.dtype))(xj, wj, bj)
        return torch.from_dlpack(out).reshape(*lead, n_out)
