"""Row 23: shipping something other than what was measured. The kernel asks load_inline for flags the evaluator
owns (`-O0`, `-march=native`, a linker `-fopenmp` the evaluator adds anyway) beside one of its own
(`-funroll-loops`): the evaluator's builder replaced the owned ones with its own when it timed the kernel, so a
package that compiled the kernel's own list would ship a different binary (an unoptimised one here) under the
speedup measured for the other.

Expected: the exported package's flags are exactly what the evaluator's builder compiled with (its base flags plus
`-funroll-loops`), recorded with the CPU features `-march=native` assumed; on a machine without those features the
package builds portable and says the speedup was not measured there (tests/export/test_package_build.py).
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor relu(torch::Tensor x) {
    auto xc = x.contiguous();
    auto y = torch::empty_like(xc);
    const float* in = xc.data_ptr<float>();
    float* out = y.data_ptr<float>();
    for (int64_t i = 0; i < xc.numel(); ++i) out[i] = in[i] > 0.f ? in[i] : 0.f;
    return y;
}
"""

ext = load_inline(name="row23_relu", cpp_sources=cpp_source, functions=["relu"],
                  extra_cflags=["-O0", "-funroll-loops", "-march=native"], extra_ldflags=["-lm", "-fopenmp"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu(x)
