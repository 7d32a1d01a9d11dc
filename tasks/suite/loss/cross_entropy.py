"""Cross-entropy loss over class logits, mean over the batch:
loss = mean_i( logsumexp(logits[i, :]) - logits[i, targets[i]] )."""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "loss"
LEVEL = 1
BATCH, CLASSES = 3072, 1000
SIZES = {"gpu": {"BATCH": 262144, "CLASSES": 4096}, "small": {"BATCH": 4, "CLASSES": 100}}
# Per logit: subtract the max, exp (~10 flops), add to the sum, compare for the max.
FLOPS = float(13 * BATCH * CLASSES)
BYTES_MOVED = float(4 * BATCH * CLASSES + 8 * BATCH + 4)


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits, targets)


def get_inputs():
    # A random temperature per call, so the mean loss differs clearly between calls.
    temperature = 0.5 + 4.0 * torch.rand(())
    return [torch.randn(BATCH, CLASSES) * temperature, torch.randint(0, CLASSES, (BATCH,))]


def get_init_inputs():
    return []


def get_input_groups():
    # Other batch and class counts (odd, tiny, binary), logits so large or so negative that a naive
    # exp overflows or underflows, heavy tails, and rows of repeated values.
    return [
        [torch.randn(7, 1001), torch.randint(0, 1001, (7,))],
        [torch.randn(1, 3), torch.randint(0, 3, (1,))],
        [torch.randn(300, 2), torch.randint(0, 2, (300,))],
        [torch.randn(64, 517) * 60.0, torch.randint(0, 517, (64,))],
        [torch.randn(50, 100) - 200.0, torch.randint(0, 100, (50,))],
        [torch.randn(129, 33) ** 3, torch.randint(0, 33, (129,))],
        [(torch.arange(40 * 64).reshape(40, 64) % 5).float(), torch.arange(40) % 64],
    ]
