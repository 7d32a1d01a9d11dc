"""Row 21: fills the judge's build cache. Each `load_inline` builds a module carrying a large initialised array the
kernel never needs, under a name of its own so none is a cache hit; the cache kept every module for ever, so each
evaluation added COPIES x BLOB_BYTES to the host's disk (16 builds of 50 MB: 800 MB per evaluation).

Expected: correct (the kernel itself is an honest ReLU), and the build cache stays under its size limit
(`KERNELWRIGHT_BUILD_CACHE_MB`): the least recently used modules are evicted. A single module over the size cap
(64 MiB) is rejected.
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

BLOB_BYTES = 24 << 20
COPIES = 4
TEMPLATE = r"""
#include <torch/extension.h>

__attribute__((used)) static const unsigned char filler[BLOB] = {FIRST};

torch::Tensor relu_forward(torch::Tensor x) {
    auto y = torch::empty_like(x);
    const float* in = x.data_ptr<float>();
    float* out = y.data_ptr<float>();
    for (int64_t i = 0; i < x.numel(); ++i) out[i] = in[i] > 0.f ? in[i] : 0.f;
    return y;
}
"""

exts = [load_inline(name=f"row21_cache_fill_{i}", functions=["relu_forward"],
                    cpp_sources=TEMPLATE.replace("BLOB", str(BLOB_BYTES)).replace("FIRST", str(i + 1)))
        for i in range(COPIES)]


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for ext in exts:
            x = ext.relu_forward(x)
        return x
