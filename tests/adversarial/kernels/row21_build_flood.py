"""Row 21: mines the judge with build requests. While the module loads, it asks for one kernel build after
another, each a source of megabytes that the builder refuses (it includes a host file), swallowing every refusal:
each request costs the judge a parse of the whole frame and a screen of the source, and the runner can keep asking
until the deadline.

Expected: rejected / except_fallback at the static stage (the broad except around `load_inline`). With the static
checks bypassed: rejected / protocol_violation during the build stage, at the first request past the build cap,
which is not answered. Before, every request past the cap was still parsed whole and answered with a refusal, until
the deadline: the judge burned seconds of CPU for each second of the runner's.
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

# Refused by the builder on sight; padded to megabytes so every frame is expensive to parse.
refused = "#" + "include" + ' "/etc/hostname"\n' + "// " + "x" * 2_000_000 + "\n"
relu_source = "torch::Tensor relu_forward(torch::Tensor x) { return x.clamp_min(0); }"
ext = load_inline(name="row21_ok", cpp_sources=relu_source, functions=["relu_forward"])
for i in range(1000):
    try:
        load_inline(name=f"row21_flood_{i}", cpp_sources=[refused] * 4, functions=["f"])
    except Exception:  # noqa: BLE001 - the exploit under test
        pass


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
