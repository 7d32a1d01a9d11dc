"""A kernel's sweep as a table and as a plot of speedup against problem size."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from kernelwright.agent.export.envelope import Envelope
from kernelwright.agent.export.readme import envelope_lines
from kernelwright.views.safe_text import one_line, untrusted


def sweep_rich_table(kernel_id: int, envelope: Envelope) -> Table:
    """One row per sweep point: sizes, input shapes, verdict, speedup and interval (labels and constants come
    from the task file: `Text`, never markup)."""
    table = Table(title=untrusted(f"kernel {kernel_id}: sweep on {envelope.device}"), title_justify="left")
    for col in ("point", "sizes", "inputs", "verdict", "speedup", "95% interval"):
        table.add_column(col)
    for p in envelope.points:
        ci = "" if p.speedup_ci is None else f"[{p.speedup_ci[0]:.2f}, {p.speedup_ci[1]:.2f}]"
        table.add_row(untrusted(p.label), untrusted(", ".join(f"{k}={v}" for k, v in p.constants.items())
                                                    or "as written"),
                      " ".join("x".join(map(str, s)) for s in p.input_shapes if s is not None), p.status.value,
                      "" if p.speedup is None else f"{p.speedup:.2f}x", untrusted(ci))
    table.caption = untrusted("\n".join(envelope_lines(envelope)))
    table.caption_justify = "left"
    return table


# Label offsets (points) cycled through in order of size: neighbouring sizes' labels sit at different heights.
LABEL_OFFSETS = ((4, 6), (4, -12), (4, 16), (4, -22))


def sweep_plot(kernel_id: int, task_id: str, envelope: Envelope, path: Path) -> Path:
    """Speedup (with its interval) against total input elements, one point per size; red where incorrect. Titled
    with the kernel and its task; labels staggered and kept inside the frame."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    timed = sorted((p for p in envelope.points if p.speedup_ci is not None and p.numel > 0), key=lambda p: p.numel)
    for i, p in enumerate(timed):
        lo, hi = p.speedup_ci  # type: ignore[misc]
        mid = p.speedup if p.speedup is not None else (lo + hi) / 2
        ax.errorbar([p.numel], [mid], yerr=[[mid - lo], [hi - mid]], fmt="o", capsize=3,
                    color="tab:green" if p.faster else "tab:blue")
        ax.annotate(p.label, (p.numel, mid), textcoords="offset points", xytext=LABEL_OFFSETS[i % 4], fontsize=7,
                    annotation_clip=False)
    failed = sorted((p for p in envelope.points if not p.correct and p.numel > 0), key=lambda p: p.numel)
    for i, p in enumerate(failed):
        ax.scatter([p.numel], [0.0], marker="x", color="tab:red")
        ax.annotate(f"{p.label}: {p.status.value}", (p.numel, 0.0), textcoords="offset points",
                    xytext=LABEL_OFFSETS[i % 4], fontsize=7, color="tab:red", annotation_clip=False)
    ax.axhline(1.0, color="grey", linewidth=0.8)
    ax.set_xscale("log")
    ax.margins(x=0.12, y=0.15)  # room for the labels of the outermost points
    ax.set_xlabel("input elements")
    ax.set_ylabel("speedup vs eager (95% interval)")
    # A task id comes from a task file: one clean line, its dollar signs kept from matplotlib's math text.
    title = one_line(f"kernel {kernel_id} of {task_id} on {envelope.device}").replace("$", r"\$")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
