"""Row 21: floods the judge with answers nobody asked for. In its first call, the candidate takes the runner's own
control channel (the `load_inline` hook is a method of the runner's builder, which holds it) and writes ten thousand
well-formed, correctly tagged `reply` frames in one go before returning, hoping the judge takes them as answers to
commands it has not sent yet, or spends its time reading them.

Expected: rejected / banned_call or another static rejection (it reaches into the harness). With the static checks
bypassed: rejected / protocol_violation during correctness: the first frame is taken as the call's answer, the bytes
queued behind it are a frame nothing asked for. Before, the judge took the first as the call's answer (an output
missing: incorrect / output_shape) and would have read on.
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

from kernelwright.evaluator.runner.protocol import Reply

relu_source = "torch::Tensor relu_forward(torch::Tensor x) { return x.clamp_min(0); }"
ext = load_inline(name="row21_frames", cpp_sources=relu_source, functions=["relu_forward"])


class Collect:
    """Stands in for the socket while the channel frames the flood, so it goes out in one write."""

    def __init__(self) -> None:
        self.data: list[bytes] = []

    def settimeout(self, _: object) -> None:
        pass

    def sendall(self, data: bytes) -> None:
        self.data.append(data)


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        channel = load_inline.__self__.channel
        real, channel.sock = channel.sock, Collect()
        for _ in range(10_000):
            channel.send(Reply())
        flood, channel.sock = b"".join(channel.sock.data), real
        real.sendall(flood)
        return ext.relu_forward(x)
