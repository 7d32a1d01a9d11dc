"""Row 19: deferred output by a tensor subclass. Correctness calls get the real (slow) kernel's answer; in timed
calls (recognised by counting calls) the forward returns a subclass that does almost no work: indexing it (how the
old harness read the positions it sampled) computes only those positions, and anything else (the whole output,
fetched after the clock stopped) computes everything. Before the judge copied whole outputs inside the round, this
turned a 0.3x scalar GELU into a `correct` speedup.

Expected: rejected / harness_introspection (static: private internals); without static checks, rejected /
output_type in the timing stage (every timed call's outputs must be exactly torch.Tensor, and the whole output is
copied before the clock stops).
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <cmath>

// Honest but slow: scalar erf, one element at a time.
torch::Tensor gelu_forward(torch::Tensor x) {
    auto xc = x.contiguous();
    auto y = torch::empty_like(xc);
    const float* in = xc.data_ptr<float>();
    float* out = y.data_ptr<float>();
    for (int64_t i = 0; i < xc.numel(); ++i) {
        out[i] = 0.5f * in[i] * (1.f + std::erf(in[i] * 0.70710678f));
    }
    return y;
}
"""

gelu_ext = load_inline(name="gelu_slow_ext", cpp_sources=cpp_source, functions=["gelu_forward"])

CHECKED_CALLS = 7  # one correctness trial: six input groups and the repeat


class Deferred(torch.Tensor):
    """Looks like the answer; computes only what is looked at."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        with torch._C.DisableTorchFunctionSubclass():
            me = args[0] if args and isinstance(args[0], Deferred) else None
            if me is not None and name == "__getitem__" and getattr(me, "pending", None) is not None:
                return gelu_ext.gelu_forward(me.pending.reshape(me.shape)[args[1]].contiguous())
            if name in ("numel", "dim", "size", "stride", "__get__", "__len__", "is_contiguous", "element_size"):
                return func(*args, **kwargs)
            for a in args:
                if isinstance(a, Deferred) and getattr(a, "pending", None) is not None:
                    a.copy_(gelu_ext.gelu_forward(a.pending))
                    a.pending = None
            return func(*args, **kwargs)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.calls <= CHECKED_CALLS:
            return gelu_ext.gelu_forward(x)
        gelu_ext.gelu_forward(x[:1])  # a kernel call, for show
        out = torch.empty_like(x).as_subclass(Deferred)
        out.pending = x.clone()
        return out
