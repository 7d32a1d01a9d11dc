"""Row 1: a Pallas kernel is launched for show (a copy), and PyTorch computes the answer (`torch.relu`).

Expected: rejected / torch_compute (run time, in interpret mode: the dispatch recorder sees aten::relu).
"""

import jax
import torch
import torch.nn as nn
from jax.experimental import pallas as pl


def copy_kernel(x_ref, o_ref):
    o_ref[...] = x_ref[...]


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xj = jax.dlpack.from_dlpack(x.contiguous())
        out = pl.pallas_call(copy_kernel, out_shape=jax.ShapeDtypeStruct(xj.shape, xj.dtype))(xj)
        return torch.relu(torch.from_dlpack(out))
