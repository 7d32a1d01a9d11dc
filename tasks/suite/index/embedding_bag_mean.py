"""Embedding bag with mean pooling: for each bag b, y[b] = mean_{i in bag b} weight[ids[i]]
(nn.EmbeddingBag(mode='mean')); bags are given by 1-D ids and offsets, bags may differ in size.
"""

import torch
import torch.nn as nn

CATEGORY = "index"
LEVEL = 1
VOCAB, DIM, BAGS, PER_BAG = 50000, 128, 2048, 16
SIZES = {
    "gpu": {"VOCAB": 1000000, "DIM": 256, "BAGS": 262144, "PER_BAG": 32},
    "small": {"VOCAB": 50, "DIM": 8, "BAGS": 3, "PER_BAG": 4},
}
FLOPS = float(BAGS * PER_BAG * DIM)
BYTES_MOVED = float(8 * BAGS * (PER_BAG + 1) + 4 * BAGS * PER_BAG * DIM + 4 * BAGS * DIM)


class Model(nn.Module):
    def __init__(self, vocab: int, dim: int):
        super().__init__()
        self.bag = nn.EmbeddingBag(vocab, dim, mode="mean")

    def forward(self, ids: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
        return self.bag(ids, offsets)


def get_inputs():
    ids = torch.randint(0, VOCAB, (BAGS * PER_BAG,))
    # Bag sizes vary between 1 and 2 * PER_BAG - 1 around the mean, so no kernel can assume a fixed size.
    sizes = torch.randint(1, 2 * PER_BAG, (BAGS,))
    offsets = torch.cat([torch.zeros(1, dtype=torch.int64), torch.cumsum(sizes, 0)[:-1]])
    offsets = offsets.clamp(max=BAGS * PER_BAG - 1)
    return [ids, offsets]


def get_init_inputs():
    return [VOCAB, DIM]


def get_input_groups():
    # Bags of different sizes (1, 4 and 5), every id 0, one bag of 100 ids, and bags of one id each.
    return [
        [torch.randint(0, VOCAB, (10,)), torch.tensor([0, 1, 5])],
        [torch.zeros(6, dtype=torch.int64), torch.tensor([0, 3])],
        [torch.randint(0, VOCAB, (100,)), torch.tensor([0])],
        [torch.full((8,), VOCAB - 1, dtype=torch.int64), torch.arange(8)],
    ]
