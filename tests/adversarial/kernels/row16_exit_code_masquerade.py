"""Row 16: forges the cause of its own death. Its kernel ends the process with exit status 137, which is what
bubblewrap reports for a child killed by SIGKILL (128 + 9), hoping to pass for one the memory limit killed: a crash
of its own making would then read as the machine's fault (out_of_memory), not the kernel's. System calls are
spelled by token pasting, so no text screen sees them.

Expected: runtime_error / crashed during correctness: the jail's seccomp filter kills a process that exits with a
status of 128 or more (SIGSYS), so a status above 128 is always a real signal, and out of memory comes only from the
cgroup's OOM count. Before, it was reported as runtime_error / out_of_memory.
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <sys/syscall.h>
#include <unistd.h>
#define J(a, b, c) a##b##c

static long raw(long n, long a = 0, long b = 0) { return J(sys, c, all)(n, a, b); }

torch::Tensor relu_forward(torch::Tensor x) {
    EXIT_HOW;
    return x.clamp_min(0);
}
""".replace("EXIT_HOW", "raw(SYS_exit_group, 137)")

ext = load_inline(name="row16_exit_masquerade", cpp_sources=cpp_source, functions=["relu_forward"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
