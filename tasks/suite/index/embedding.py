"""Embedding lookup: y[b, s] = weight[ids[b, s]] (nn.Embedding), weight is (V, D)."""

import torch
import torch.nn as nn

CATEGORY = "index"
LEVEL = 1
VOCAB, DIM, BATCH, SEQ = 32000, 256, 16, 512
SIZES = {
    "gpu": {"VOCAB": 128000, "DIM": 4096, "BATCH": 64, "SEQ": 2048},
    "small": {"VOCAB": 50, "DIM": 16, "BATCH": 2, "SEQ": 7},
}
FLOPS = 0.0
BYTES_MOVED = float(8 * BATCH * SEQ + 2 * 4 * BATCH * SEQ * DIM)


class Model(nn.Module):
    def __init__(self, vocab: int, dim: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.embedding(ids)


def get_inputs():
    return [torch.randint(0, VOCAB, (BATCH, SEQ))]


def get_init_inputs():
    return [VOCAB, DIM]


def get_input_groups():
    # An odd length, a single token, every token the last id, and only three distinct ids.
    return [
        [torch.randint(0, VOCAB, (3, 77))],
        [torch.zeros(1, 1, dtype=torch.int64)],
        [torch.full((2, 50), VOCAB - 1, dtype=torch.int64)],
        [torch.randint(0, 3, (5, 41))],
    ]
