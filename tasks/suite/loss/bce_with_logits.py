"""Binary cross-entropy on logits, mean over all elements:
loss = mean(max(z, 0) - z * t + log(1 + exp(-|z|))), z the logits and t in [0, 1] the targets.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "loss"
LEVEL = 1
BATCH, DIM = 256, 4096
SIZES = {"gpu": {"BATCH": 16384, "DIM": 32768}, "small": {"BATCH": 4, "DIM": 1000}}
FLOPS = float(16 * BATCH * DIM)
BYTES_MOVED = float(2 * 4 * BATCH * DIM + 4)


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(logits, targets)


def get_inputs():
    # A random temperature per call, so the mean loss differs clearly between calls.
    temperature = 0.5 + 3.0 * torch.rand(())
    return [torch.randn(BATCH, DIM) * temperature, torch.rand(BATCH, DIM)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd and tiny sizes, logits so large that a naive log(sigmoid) gives -inf, very negative logits with all-one
    # targets, and heavy tails.
    return [
        [torch.randn(7, 1001), torch.rand(7, 1001)],
        [torch.randn(1, 3), torch.rand(1, 3)],
        [torch.randn(64, 100) * 50.0, (torch.rand(64, 100) > 0.5).float()],
        [torch.randn(33, 257) - 20.0, torch.ones(33, 257)],
        [torch.randn(40, 40) ** 3, torch.rand(40, 40)],
    ]
