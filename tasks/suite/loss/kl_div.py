"""KL divergence with log-probabilities on both sides, averaged over the batch:
loss = sum(exp(t) * (t - p)) / B, p and t are log_softmax outputs of shape (B, C) (F.kl_div, log_target=True).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "loss"
LEVEL = 1
BATCH, CLASSES = 1024, 1000
SIZES = {"gpu": {"BATCH": 262144, "CLASSES": 1000}, "small": {"BATCH": 4, "CLASSES": 100}}
FLOPS = float(14 * BATCH * CLASSES)
BYTES_MOVED = float(2 * 4 * BATCH * CLASSES + 4)


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, log_p: torch.Tensor, log_t: torch.Tensor) -> torch.Tensor:
        return F.kl_div(log_p, log_t, reduction="batchmean", log_target=True)


def get_inputs():
    temperature = 0.5 + 3.0 * torch.rand(())
    return [(torch.randn(BATCH, CLASSES) * temperature).log_softmax(-1), torch.randn(BATCH, CLASSES).log_softmax(-1)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd and binary class counts, sharp distributions whose log-probabilities reach -100 (exp underflows), and a
    # near-uniform target.
    return [
        [torch.randn(7, 1001).log_softmax(-1), torch.randn(7, 1001).log_softmax(-1)],
        [torch.randn(1, 2).log_softmax(-1), torch.randn(1, 2).log_softmax(-1)],
        [(torch.randn(64, 50) * 20.0).log_softmax(-1), (torch.randn(64, 50) * 20.0).log_softmax(-1)],
        [torch.randn(30, 100).log_softmax(-1), (torch.randn(30, 100) * 0.01).log_softmax(-1)],
    ]
