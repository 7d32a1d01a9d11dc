"""The header of the kernel file `optimize --out` writes: what it is, how fast, where it was verified."""

from __future__ import annotations

import textwrap

from kernelwright.agent.export.envelope import Envelope
from kernelwright.agent.export.readme import envelope_lines
from kernelwright.agent.summary import Kernel


def kernel_file_header(kernel: Kernel, run_id: str, envelope: Envelope | None) -> str:
    """Comment lines for the top of a returned kernel file (it stays a valid solution file)."""
    r = kernel.result
    lines = [f"Kernelwright kernel {kernel.candidate_id} for task {r.task_id} ({r.platform}), run {run_id}",
             f"speedup vs PyTorch eager: {kernel.speedup_text} (95% interval), harness {r.provenance}",
             f"measured on: {r.hardware or 'unknown hardware'}; size {r.size or 'cpu'}"]
    if envelope is None or not envelope.points:
        lines.append("verified on the task's own shapes and input groups only (`kernelwright sweep "
                     f"{kernel.candidate_id}` checks more)")
    else:
        lines.append("verified envelope (shape sweep):")
        lines += [f"  {line}" for line in envelope_lines(envelope)]
    lines += ["backward: not verified for this file (a kernel that writes raw memory gives autograd nothing "
              f"to follow); `kernelwright export {kernel.candidate_id} --out DIR` makes a package with one, a "
              "custom op that torch.compile traces, and the reference outside the envelope",
              "use: from this file import ModelNew; ModelNew(*init_args) is a drop-in for the task's Model"]
    wrapped = [part for line in lines for part in textwrap.wrap(line, 110, subsequent_indent="    ")]
    return "".join(f"# {part}\n" for part in wrapped) + "\n"
