"""Multi-head attention with a key padding mask: keys at positions >= lengths[b] are
ignored. out = softmax(q @ k^T / sqrt(D) + mask) @ v, mask = -inf on padded keys; every row keeps >= 1 key.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "attention"
LEVEL = 2
BATCH, HEADS, SEQ, HEAD_DIM = 2, 8, 256, 64
SIZES = {
    "gpu": {"BATCH": 16, "HEADS": 16, "SEQ": 2048, "HEAD_DIM": 64},
    "small": {"BATCH": 1, "HEADS": 2, "SEQ": 16, "HEAD_DIM": 16},
}
# q @ k^T and p @ v: 2 * S * S * D flops each; the softmax ~5 per score.
FLOPS = float(BATCH * HEADS * (4 * SEQ * SEQ * HEAD_DIM + 5 * SEQ * SEQ))
BYTES_MOVED = float(4 * 4 * BATCH * HEADS * SEQ * HEAD_DIM)


class Model(nn.Module):
    def __init__(self):
        super().__init__()


    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        keep = torch.arange(k.shape[2]).reshape(1, 1, 1, -1) < lengths.reshape(-1, 1, 1, 1)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=keep)


def get_inputs():
    q, k, v = (torch.randn(BATCH, HEADS, SEQ, HEAD_DIM) for _ in range(3))
    # A random valid length per sequence (at least 1), so padding differs between calls.
    return [q, k, v, torch.randint(1, SEQ + 1, (BATCH,))]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd lengths and head size with a single valid key, three sequences of different valid lengths, and sharp
    # softmaxes (large queries).
    return [
        [torch.randn(1, 3, 77, 40), torch.randn(1, 3, 77, 40), torch.randn(1, 3, 77, 40), torch.tensor([1])],
        [torch.randn(3, 2, 50, 16), torch.randn(3, 2, 50, 16), torch.randn(3, 2, 50, 16), torch.tensor([50, 25, 3])],
        [torch.randn(2, 4, 64, 64) * 4.0, torch.randn(2, 4, 64, 64), torch.randn(2, 4, 64, 64), torch.tensor([64, 10])],
    ]
