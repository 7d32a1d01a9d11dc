"""Non-causal linear attention with the elu + 1 feature map (Katharopoulos et al.):
phi = elu(x) + 1; out_i = phi(q_i) (sum_j phi(k_j)^T v_j) / (phi(q_i) . sum_j phi(k_j)).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "attention"
LEVEL = 2
BATCH, HEADS, SEQ, HEAD_DIM = 2, 8, 512, 64
SIZES = {
    "gpu": {"BATCH": 32, "HEADS": 16, "SEQ": 8192, "HEAD_DIM": 64},
    "small": {"BATCH": 1, "HEADS": 2, "SEQ": 16, "HEAD_DIM": 16},
}
FLOPS = float(BATCH * HEADS * SEQ * HEAD_DIM * (4 * HEAD_DIM + 6))
BYTES_MOVED = float(4 * 4 * BATCH * HEADS * SEQ * HEAD_DIM)
# Sums over SEQ positions of positive products (~1e3) divided by a similar normalizer: a few 1e-4
# relative rounding in any summation order.
TOLERANCE = {"atol": 1e-4, "rtol": 1e-3}


class Model(nn.Module):
    def __init__(self):
        super().__init__()


    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        q = F.elu(q) + 1.0
        k = F.elu(k) + 1.0
        kv = torch.einsum("bhsd,bhse->bhde", k, v)
        z = torch.einsum("bhsd,bhd->bhs", q, k.sum(dim=2))
        return torch.einsum("bhsd,bhde->bhse", q, kv) / z.unsqueeze(-1)


def get_inputs():
    return [torch.randn(BATCH, HEADS, SEQ, HEAD_DIM) for _ in range(3)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd lengths, a single position, large queries, and very negative q and k (elu + 1 close to zero, small
    # normalizers) with heavy-tailed values.
    return [
        [torch.randn(1, 3, 77, 40), torch.randn(1, 3, 77, 40), torch.randn(1, 3, 77, 40)],
        [torch.randn(2, 2, 1, 16), torch.randn(2, 2, 1, 16), torch.randn(2, 2, 1, 16)],
        [torch.randn(1, 4, 100, 64) * 4.0, torch.randn(1, 4, 100, 64), torch.randn(1, 4, 100, 64)],
        [torch.randn(1, 2, 50, 32) - 3.0, torch.randn(1, 2, 50, 32) - 3.0, torch.randn(1, 2, 50, 32) ** 3],
    ]
