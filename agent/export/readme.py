"""The README of an exported package: how to use it, where the kernel runs, how fast, and where it came from."""

from __future__ import annotations

from typing import Any

from kernelwright.agent.export.envelope import Envelope
from kernelwright.agent.export.kernels import ExportedKernel
from kernelwright.evaluator.result import HARNESS_VERSION
from kernelwright.tasks.model import Task


def _interval(ci: tuple[float, float] | None) -> str:
    return "" if ci is None else f"[{ci[0]:.2f}, {ci[1]:.2f}]"


def envelope_lines(envelope: Envelope) -> list[str]:
    """The envelope in words, one line per fact (also the `--out` file's header)."""
    if envelope.empty:
        return ["never: the kernel passed at no sweep point"]
    lines = [f"device {envelope.device}; dtypes {', '.join(str(d) for d in envelope.dtypes)}; contiguous inputs"]
    for arg, (rank, low, high, multiple) in enumerate(zip(envelope.ranks, envelope.dim_low, envelope.dim_high,
                                                          envelope.multiple_of)):
        dims = ", ".join(f"{lo}..{hi}" + (f" (multiple of {m})" if m > 1 else "")
                         for lo, hi, m in zip(low, high, multiple))
        lines.append(f"input {arg}: rank {rank}, sizes {dims}")
    if envelope.exact_shapes is not None:
        lines.append("only the exact shapes that passed (a failure inside the ranges has no alignment to explain it)")
    faster = [b.label for b in envelope.buckets if b.use_kernel]
    lines.append("kernel used at the size buckets of: " + (", ".join(faster) if faster else
                                                           "none (verified faster nowhere: the reference runs)"))
    return lines


def sweep_table(envelope: Envelope) -> list[str]:
    """The sweep's verdicts as a Markdown table."""
    rows = ["| point | sizes | inputs | verdict | speedup | 95% interval |", "|---|---|---|---|---|---|"]
    for p in envelope.points:
        sizes = ", ".join(f"{k}={v}" for k, v in p.constants.items()) or "as written"
        shapes = " ".join("x".join(map(str, s)) for s in p.input_shapes if s is not None)
        speed = "" if p.speedup is None else f"{p.speedup:.2f}x"
        rows.append(f"| {p.label} | {sizes} | {shapes} | {p.status.value} | {speed} | {_interval(p.speedup_ci)} |")
    return rows


def build_lines(name: str, build: dict[str, Any]) -> list[str]:
    """How the package builds: the measured flags, the CPU features they assume, and what happens without them."""
    flags = sorted({" ".join(ext["cxx"]) for ext in build["extensions"]})
    features = " ".join(f.strip("_") for f in build["assumed_features"]) or "none beyond the compiler's default"
    return ["## Build", "",
            "The extensions compile with exactly the flags the evaluator built and timed the kernel with"
            + (f": `{flags[0]}`." if len(flags) == 1 else "."),
            "Those flags assume these CPU features (what `-march=native` turned on where it was exported): "
            f"{features}.",
            f"The kernel was timed on: {build['measured_cpu'] or 'an unrecorded CPU'}.",
            "On a machine without every one of them, `setup.py` drops "
            + ", ".join(f"`{f}`" for f in build["tuned_flags"])
            + " and builds for that machine: the speedup below was not measured there. "
              f"`{name}.build_info()` says which build you have; `python -m {name}.check` times the op against "
              "the reference on your machine, with a 95% interval.", ""]


def package_readme(name: str, op: str, task: Task, kernels: list[ExportedKernel], build: dict[str, Any]) -> str:
    """The package's README.md."""
    parts = [f"# {name}: `{task.name}` as a PyTorch custom op", "",
             f"Exported by Kernelwright (harness {HARNESS_VERSION}) from task `{task.id}` "
             f"(source hash `{task.source_hash[:16]}`).", "",
             "## Install and use", "", "```bash",
             'pip install --no-build-isolation ".[test]"   # compiles the kernel now, with the torch you run',
             "python -m pytest                              # the op against the reference at every point it passed",
             f"python -m {name}.check                      # is it faster on this machine? (median, 95% interval)",
             "```", "", "```python", "import torch", f"import {name}", "",
             f"model = {name}.Module(*init_args)        # the task's Model: same constructor and forward",
             "y = model(*inputs)                       # the kernel inside its envelope, the reference elsewhere",
             f"y = torch.compile(model, fullgraph=True)(*inputs)   # traces through torch.ops.{name}.{op}",
             f"{name}.fallback_count(), {name}.fallback_reasons()   # calls that ran the reference, and why", "```",
             "", "The backward is the reference's own, run on the saved inputs: training through the op is correct "
             "wherever the forward is.", "", *build_lines(name, build)]
    for k in kernels:
        parts += [f"## {k.envelope.device}: kernel {k.kernel.candidate_id} ({k.kernel.platform})", "",
                  f"Measured on: {k.hardware or 'unknown hardware'}" + (f"; run `{k.run_id}`." if k.run_id else "."),
                  "", "Where it runs (everything else runs the reference):", ""]
        parts += [f"- {line}" for line in envelope_lines(k.envelope)]
        parts += ["", *sweep_table(k.envelope), ""]
    return "\n".join(parts)
