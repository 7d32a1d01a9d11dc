"""`kernelwright report`: a bench run as a Markdown report with PNG plots and the raw metrics as JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from kernelwright.agent.bench.metrics import FAST_P, GroupMetrics, RunMetrics, TaskOutcome  # noqa: E402
from kernelwright.views.bench_plots import plot_names  # noqa: E402
from kernelwright.views.numbers import bounds, times, unverified_fast_1, with_interval  # noqa: E402
from kernelwright.views.report_html import to_html  # noqa: E402
from kernelwright.views.safe_text import one_line  # noqa: E402


def md(text: object) -> str:
    """Stored text (a task id from an imported file, a model's name) as inline Markdown of one line: cleaned of
    escape codes and control characters, its pipes kept out of the table's columns and its HTML tags inert."""
    return one_line(text).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")


def _fast_p_curve(outcomes: list[TaskOutcome], ps: list[float]) -> list[float]:
    n = len(outcomes) or 1
    return [sum(o.correct and (p == 0 or (o.speedup or 0.0) > p) for o in outcomes) / n for p in ps]


def plot_speedup_by_category(run: RunMetrics, path: Path) -> None:
    """One column per category: every correct task's best speedup (log scale), failures counted in the label."""
    categories = sorted({o.category for o in run.tasks})
    fig, ax = plt.subplots(figsize=(max(6.0, 0.8 * len(categories) + 2), 4.5))
    labels: list[str] = []
    for i, cat in enumerate(categories):
        tasks = [o for o in run.tasks if o.category == cat]
        speedups = [o.speedup for o in tasks if o.correct and o.speedup is not None]
        if speedups:
            ax.boxplot([speedups], positions=[i], widths=0.5, showfliers=False)
            jitter = [i + 0.12 * math.sin(7 * k) for k in range(len(speedups))]
            ax.scatter(jitter, speedups, s=14, alpha=0.7, zorder=3)
        labels.append(f"{cat} ({len(speedups)}/{len(tasks)})")
    ax.axhline(1.0, color="grey", lw=1, ls="--")
    ax.set_yscale("log")
    speed_format = FuncFormatter(lambda value, _pos: f"{value:g}x")
    ax.yaxis.set_major_formatter(speed_format)
    ax.yaxis.set_minor_formatter(speed_format)
    ax.tick_params(axis="y", which="minor", labelsize=7)
    ax.set_xticks(range(len(categories)), labels, rotation=35, ha="right")
    ax.set_xlabel("category (tasks timed correct / tasks)")
    ax.set_ylabel("best speedup vs PyTorch eager (log)")
    ax.set_title(f"Speedup per category — run {run.run_id} ({run.model})")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_fast_p(run: RunMetrics, path: Path) -> None:
    """fast_p as p sweeps from 0 to past the best speedup, with the leaderboard's p values marked."""
    top = max([o.speedup or 0.0 for o in run.tasks] + [2.5])
    ps = [top * 1.1 * i / 200 for i in range(201)]
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    ax.plot(ps, _fast_p_curve(run.tasks, ps), lw=2, label="overall")
    for level in sorted({o.level for o in run.tasks}):
        tasks = [o for o in run.tasks if o.level == level]
        ax.plot(ps, _fast_p_curve(tasks, ps), lw=1, alpha=0.7, label=f"level {level} ({len(tasks)} tasks)")
    marks = _fast_p_curve(run.tasks, list(FAST_P))
    ax.scatter(list(FAST_P), marks, zorder=3, color="black", s=18)
    ax.axvline(1.0, color="grey", lw=1, ls="--")
    ax.set_xlabel("speedup threshold p")
    ax.set_ylabel("fast_p (share of all tasks)")
    ax.set_ylim(0, 1.02)
    ax.set_title(f"fast_p — run {run.run_id} ({run.model}), {len(run.tasks)} tasks, {run.split.label}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def speedup_by_turn(run: RunMetrics) -> tuple[list[float | None], list[float]]:
    """Per turn, the summary's own numbers as they stood after that turn: the geometric mean over tasks with a
    correct, timed kernel so far (None before any), and fast_1 over all tasks. At the last turn they are the
    report's geomean and fast_1 (one definition for each number, so the plot and the summary agree)."""
    geo: list[float | None] = []
    fast1: list[float] = []
    for t in range(run.turns):
        bests = []
        for o in run.tasks:
            values = [s.best_by_turn[min(t, len(s.best_by_turn) - 1)] for s in o.samples if s.best_by_turn]
            found = [v for v in values if v is not None]
            bests.append(max(found) if found else None)
        timed = [max(b, 1e-9) for b in bests if b is not None]
        geo.append(math.exp(sum(math.log(v) for v in timed) / len(timed)) if timed else None)
        fast1.append(sum(b is not None and b > 1.0 for b in bests) / len(bests) if bests else 0.0)
    return geo, fast1


def plot_speedup_vs_turn(run: RunMetrics, path: Path) -> None:
    """How the search improves with turns (a trajectory that stopped early keeps its last best)."""
    geo, fast1 = speedup_by_turn(run)
    turns = list(range(1, run.turns + 1))
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    shown = [(t, g) for t, g in zip(turns, geo) if g is not None]
    ax.plot([t for t, _ in shown], [g for _, g in shown], marker="o",
            label="geomean over tasks correct so far (the summary's, at the last turn)")
    ax.set_xlabel("turn")
    ax.set_ylabel("speedup vs eager")
    values = [g for _, g in shown] or [1.0]
    ax.set_ylim(min(0.9, min(values) * 0.9), max(values) * 1.15)
    ax.set_xticks(turns)
    twin = ax.twinx()
    twin.plot(turns, fast1, marker="s", color="tab:orange", label="fast_1 so far")
    twin.set_ylabel("fast_1")
    twin.set_ylim(0, 1.02)
    lines = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    labels = ax.get_legend_handles_labels()[1] + twin.get_legend_handles_labels()[1]
    ax.legend(lines, labels, fontsize=8, loc="lower right")
    ax.set_title(f"Speedup vs turn — run {run.run_id} ({run.model}), {run.samples} sample(s) per task")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _metrics_rows(groups: dict[str, GroupMetrics], label: str) -> list[str]:
    lines = [f"| {label} | tasks | correct | fast_1 | fast_2 | geomean [95% CI] | vs compile | pass@1 | build err |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, m in groups.items():
        geo = "-" if m.geomean is None or m.geomean_ci is None else with_interval(m.geomean, m.geomean_ci)
        vs = times(m.geomean_vs_compile)
        err = "-" if m.build_error_rate is None else f"{100 * m.build_error_rate:.0f}%"
        # Not given when the samples are not independent (evolution, tree) and there are several: no 0%.
        pass_1 = "-" if "1" not in m.pass_at_k else f"{100 * m.pass_at_k['1']:.0f}%"
        lines.append(f"| {md(name)} | {m.tasks} | {100 * m.correct_rate:.0f}% | {100 * m.fast_p['1']:.0f}% | "
                     f"{100 * m.fast_p['2']:.0f}% | {geo} | {vs} | {pass_1} | {err} |")
    return lines


def _task_rows(run: RunMetrics) -> list[str]:
    lines = ["| task | level | correct samples | best speedup [95% CI] | torch.compile vs eager | vs compile |",
             "|---|---|---|---|---|---|"]
    for o in sorted(run.tasks, key=lambda o: o.task_id):
        best = "-" if o.speedup is None or o.speedup_ci is None else with_interval(o.speedup, o.speedup_ci)
        comp, vs = times(o.compile_ratio), times(o.vs_compile)
        held = " (held out)" if o.held_out else ""
        lines.append(f"| {md(o.task_id)}{held} | {o.level} | {sum(s.correct for s in o.samples)}/{len(o.samples)} | "
                     f"{best} | {comp} | {vs} |")
    return lines


def write_report(run: RunMetrics, out_dir: Path) -> list[Path]:
    """Write report.md (and report.html, the same with the plots inline), three PNG plots and metrics.json into
    `out_dir`; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    plotters = {"speedup_by_category.png": plot_speedup_by_category, "fast_p.png": plot_fast_p,
                "speedup_vs_turn.png": plot_speedup_vs_turn}
    plots = {name: plotters[name] for name in plot_names(run.turns)}
    for name, draw in plots.items():
        draw(run, out_dir / name)
    m = run.overall
    fast = ", ".join(f"fast_{p} {100 * v:.0f}%" for p, v in m.fast_p.items())
    pass_k = ", ".join(f"pass@{k} {100 * v:.0f}%" for k, v in m.pass_at_k.items())
    speed_k = ", ".join(f"speedup@{k} {times(v)}" for k, v in m.speedup_at_k.items())
    lines = [
        f"# Bench run {run.run_id}", "",
        f"- model: **{md(run.model)}** ({md(run.provider)}); platform **{md(run.platform)}** on {md(run.hardware)}",
        f"- tasks: {md(run.selection)}; this report covers {run.split.label} ({m.tasks} tasks)",
        f"- {run.samples} sample(s) x {run.turns} turn(s) per task, strategy {md(run.strategy)}; "
        f"harness {', '.join(run.harness_versions)}"
        + (" (re-scored)" if run.rescored else "") + f"; status {run.status.value}; started {run.created_at}",
        f"- correctness tolerance: {run.tolerance.label}",
        "", "## Summary", "",
        f"- {fast}",
        *([f"- {md(note)}"] if (note := unverified_fast_1(run)) else []),
        "- geometric-mean speedup over correct tasks: " + ("-" if m.geomean is None or m.geomean_ci is None else
                                                          f"**{times(m.geomean)}** {bounds(m.geomean_ci)} "
                                                          "(95% bootstrap over tasks)"),
        f"- verified fast_1 (interval above 1.0x): {100 * m.verified_fast_1:.0f}%",
        "- against torch.compile: " + ("no compile baselines" if m.geomean_vs_compile is None else
                                       f"geomean {times(m.geomean_vs_compile)}, fast_1 "
                                       f"{100 * (m.fast_1_vs_compile or 0):.0f}% of {m.compile_tasks} tasks"),
        f"- {pass_k}; {speed_k}" + ("" if run.independent_samples else
                                     f" (the {md(run.strategy)} strategy's samples see each other's kernels, so "
                                     "only the whole budget's is given)"),
        "- build-error rate: " + ("-" if m.build_error_rate is None else f"{100 * m.build_error_rate:.0f}%")
        + f" of {m.evaluations} evaluations; replies without code: "
        + ("-" if m.no_code_rate is None else f"{100 * m.no_code_rate:.0f}%"),
        "", "## Plots", "",
        "![speedup per category](speedup_by_category.png)", "",
        "![fast_p over p](fast_p.png)", "",
        *(["![speedup vs turn](speedup_vs_turn.png)", ""] if "speedup_vs_turn.png" in plots else
          ["One turn per task: no speedup-vs-turn plot.", ""]),
        "## By category", "", *_metrics_rows(run.by_category, "category"), "",
        "## By level", "", *_metrics_rows({f"level {k}": v for k, v in run.by_level.items()}, "level"), "",
        # Unlike machines are never pooled silently: each task is counted under the hardware that timed it.
        "## By hardware", "", *_metrics_rows(run.by_hardware, "hardware"), "",
        "## Tasks", "", *_task_rows(run), "",
        "Definitions: see the README's *Benchmark* section (fast_p counts failures; speedups are medians of "
        "per-bucket ratios measured side by side with the baseline).", ""]
    report = out_dir / "report.md"
    report.write_text("\n".join(lines), encoding="utf-8")
    page = out_dir / "report.html"  # the same, for a browser: plots inline, one file
    page.write_text(to_html(lines, out_dir, f"Bench run {one_line(run.run_id)}"), encoding="utf-8")
    metrics = out_dir / "metrics.json"
    metrics.write_text(json.dumps(run.model_dump(mode="json"), indent=2), encoding="utf-8")
    return [report, page, metrics, *(out_dir / name for name in plots)]
