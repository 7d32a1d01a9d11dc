"""A small convolutional VAE encoder: two stride-2 conv + LeakyReLU stages, flatten, and two linear heads
giving the posterior mean and log-variance. Input (N, 1, 28, 28); returns (mu, logvar), each (N, LATENT).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "arch"
LEVEL = 3
BATCH = 64
LATENT = 32
SIZES = {"gpu": {"BATCH": 16384}, "small": {"BATCH": 2}}
FLOPS = float(2 * BATCH * (32 * 14 * 14 * 16 + 64 * 7 * 7 * 512 + 2 * 3136 * LATENT))
BYTES_MOVED = float(4 * (BATCH * 784 + 32 * 16 + 64 * 512 + 2 * 3136 * LATENT + 2 * BATCH * LATENT))
# Several layers of fp32 matmuls/convolutions in sequence: rounding differences of another valid summation
# order compound across layers beyond the default atol.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-3}


class Model(nn.Module):
    def __init__(self, latent: int):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 4, stride=2, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 4, stride=2, padding=1)
        self.mu = nn.Linear(64 * 7 * 7, latent)
        self.logvar = nn.Linear(64 * 7 * 7, latent)

    def forward(self, x: torch.Tensor):
        h = F.leaky_relu(self.conv1(x), 0.2)
        h = F.leaky_relu(self.conv2(h), 0.2).flatten(1)
        return self.mu(h), self.logvar(h)


def get_inputs():
    return [torch.rand(BATCH, 1, 28, 28)]


def get_init_inputs():
    return [LATENT]


def get_input_groups():
    # A single image, binarized images, and heavy-tailed inputs.
    return [
        [torch.rand(1, 1, 28, 28)],
        [(torch.rand(9, 1, 28, 28) > 0.5).float()],
        [torch.randn(5, 1, 28, 28) ** 3],
    ]
