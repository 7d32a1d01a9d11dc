"""Row 22: forging what a person sees. The kernel fails on purpose, but its error message and its stdout (the
log `eval` shows under a failed verdict) carry terminal escape codes (cursor up, erase line, clear screen, an OSC
window title and hyperlink, the 8-bit CSI), bidi overrides and Rich markup that would repaint `kernelwright eval`'s
table as `status correct ... speedup 42.00x`.

Expected: runtime_error / runtime_exception at correctness, and a screen that shows that status with the forged
text inert: no escape byte of the candidate's reaches the terminal, and its markup is printed as written.
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

ESC = "\x1b"
# Up to the status row, erase it, and write a verdict of our own there; then a speedup row in markup.
REPAINT = (f"{ESC}[4A{ESC}[2K{ESC}[1G    status  [bold green]correct[/]{ESC}[4B"
           f"{ESC}]0;kernelwright: correct 42.00x\a{ESC}]8;;https://example.invalid/\a"
           "\x9b2K speedup [bold]42.00x[/] 95% CI [41.00, 43.00] :white_check_mark: "
           "\u202ex00.24 tcerroc\u202c\u2066\u2069\u200b")

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor relu_forward(torch::Tensor x, std::string why) {
    TORCH_CHECK(false, why);
    return x;
}
"""

ext = load_inline(name="forged_screen", cpp_sources=cpp_source, functions=["relu_forward"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        print(f"{ESC}[2J{ESC}[H{REPAINT}", flush=True)
        return ext.relu_forward(x, REPAINT)
