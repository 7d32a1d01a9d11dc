"""Bad input: loops forever while being imported (before any kernel is built).

Expected: timeout / wall_timeout once the evaluation's timeout_s has passed.
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

spins = 0
while spins >= 0:
    spins += 1

ext = load_inline(name="bad_loop_import", cpp_sources="torch::Tensor f(torch::Tensor x) { return x; }",
                  functions=["f"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.f(x)
