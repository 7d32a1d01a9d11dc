"""Mean squared error: loss = mean((prediction - target)^2)."""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "loss"
LEVEL = 1
BATCH, DIM = 256, 8192
SIZES = {"gpu": {"BATCH": 16384, "DIM": 32768}, "small": {"BATCH": 4, "DIM": 1000}}
FLOPS = float(3 * BATCH * DIM)
BYTES_MOVED = float(2 * 4 * BATCH * DIM + 4)
# A mean over 2M squared terms: float32 summation order alone moves it by ~1e-6 relative.
TOLERANCE = {"atol": 1e-4, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(predictions, targets)


def get_inputs():
    # A random overall scale per call, so the mean loss differs clearly between calls (the mean of a
    # million i.i.d. terms is otherwise nearly the same number every time).
    scale = 0.2 + 2.0 * torch.rand(())
    return [torch.randn(BATCH, DIM) * scale, torch.randn(BATCH, DIM) * scale]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd and tiny sizes, a 3-D shape, large and shifted differences, and heavy-tailed values.
    return [
        [torch.randn(7, 1001), torch.randn(7, 1001)],
        [torch.randn(1, 3), torch.randn(1, 3)],
        [torch.randn(5, 3, 257), torch.randn(5, 3, 257)],
        [torch.randn(100, 999) * 20.0, torch.randn(100, 999) - 5.0],
        [torch.randn(33, 1000) ** 3, torch.randn(33, 1000) ** 3],
    ]
