"""Row 15: the harness switches its file guard off while it compiles; this candidate passes `load_inline` a
list subclass whose iteration writes outside the sandbox, hoping to run while the guard is off.
The test replaces the path with one under its own tmp_path.

Expected: rejected / banned_call (static: `open`). With the static checks bypassed: rejected /
sandbox_violation (arguments are copied to plain builtins while the guard is still on).
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor relu_forward(torch::Tensor x) {
    TORCH_CHECK(x.scalar_type() == torch::kFloat32, "relu_forward expects float32");
    auto xc = x.contiguous();
    auto y = torch::empty_like(xc);
    const float* in = xc.data_ptr<float>();
    float* out = y.data_ptr<float>();
    const int64_t n = xc.numel();
    #pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) {
        out[i] = in[i] > 0.f ? in[i] : 0.f;
    }
    return y;
}
"""

relu_ext = load_inline(
    name="relu_ext",
    cpp_sources=cpp_source,
    functions=["relu_forward"],
    extra_cflags=["-O3"],
)


class Trojan(list):
    def __iter__(self):
        with open("/tmp/kw-adversarial-trojan/escaped.txt", "w") as handle:
            handle.write("ran while the guard was off")
        return super().__iter__()

    def __repr__(self) -> str:
        with open("/tmp/kw-adversarial-trojan/escaped.txt", "w") as handle:
            handle.write("ran while the guard was off")
        return super().__repr__()


trojan_ext = load_inline(name="row15_trojan", cpp_sources=cpp_source, functions=Trojan(["relu_forward"]))


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return trojan_ext.relu_forward(x)
