"""Row 21: fills the host's disk through compiler flags. `-fdump-tree-all`, `-fdump-rtl-all` and `-fdump-ipa-all`
look like code-generation options (`-f...`) and make g++ write a dump file per pass for every function of the
translation unit (all of ATen's inline functions included): gigabytes for this ReLU, written into a build folder
bound from the host's /tmp.

Expected: rejected / unsafe_native_code at the build (flags that write dump, report or profile files are refused);
and with that screen bypassed, the dumps land on the build jail's capped tmpfs, never on the host.
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor relu_forward(torch::Tensor x) {
    auto y = torch::empty_like(x);
    const float* in = x.data_ptr<float>();
    float* out = y.data_ptr<float>();
    for (int64_t i = 0; i < x.numel(); ++i) out[i] = in[i] > 0.f ? in[i] : 0.f;
    return y;
}
"""

ext = load_inline(name="row21_dump_flags", cpp_sources=cpp_source, functions=["relu_forward"],
                  extra_cflags=["-fdump-tree-all", "-fdump-rtl-all", "-fdump-ipa-all"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
