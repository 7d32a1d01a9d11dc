"""Pre-norm transformer encoder block: x = x + MHA(LN1(x)); y = x + FFN(LN2(x)), with
multi-head self-attention (fused qkv projection, HEADS heads, no mask) and a GELU MLP of 4x width.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "arch"
LEVEL = 3
BATCH, SEQ, DIM, HEADS = 2, 128, 256, 4
SIZES = {
    "gpu": {"BATCH": 16, "SEQ": 2048, "DIM": 1024, "HEADS": 16},
    "small": {"BATCH": 1, "SEQ": 8, "DIM": 32, "HEADS": 2},
}
FLOPS = float(BATCH * SEQ * (24 * DIM * DIM + 4 * SEQ * DIM))
BYTES_MOVED = float(4 * (2 * BATCH * SEQ * DIM + 12 * DIM * DIM))
# Several layers of fp32 matmuls/convolutions in sequence: rounding differences of another valid summation
# order compound across layers beyond the default atol.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-3}


class Model(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.ln2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.fc2 = nn.Linear(4 * dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, s, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).reshape(b, s, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        attn = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, s, d)
        x = x + self.proj(attn)
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


def get_inputs():
    return [torch.randn(BATCH, SEQ, DIM)]


def get_init_inputs():
    return [DIM, HEADS]


def get_input_groups():
    # An odd length, single-token sequences, heavy tails, and large shifted inputs (the pre-norms must absorb them).
    return [
        [torch.randn(1, 77, DIM)],
        [torch.randn(3, 1, DIM)],
        [torch.randn(1, 40, DIM) ** 3],
        [torch.randn(2, 16, DIM) * 5.0 + 3.0],
    ]
