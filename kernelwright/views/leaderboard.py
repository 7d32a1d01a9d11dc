"""Leaderboard rendering: the same rows as a rich table, Markdown, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from enum import Enum

from rich import box
from rich.table import Table

from kernelwright.agent.bench.metrics import GroupMetrics, RunMetrics
from kernelwright.views.numbers import times, with_interval
from kernelwright.views.safe_text import one_line, untrusted


class Format(str, Enum):
    table = "table"
    markdown = "markdown"
    csv = "csv"
    json = "json"
    kernelbench = "kernelbench"  # fast_0 and fast_1 per level, as KernelBench's tables give them


COLUMNS = ["rank", "run", "model", "provider", "platform", "hardware", "task set", "tasks", "samples x turns",
           "correct", "fast_1", "verified fast_1", "fast_1.5", "fast_2", "geomean [95% CI]", "vs compile", "pass@1",
           "build err", "harness", "tolerance", "status"]


# The terminal table keeps what ranks runs, one line each in 80 columns; what each run covered, where it ran
# and under which harness go in its caption. Markdown, CSV and JSON carry every column.
TABLE_COLUMNS = {"rank": "#", "run": "run", "model": "model", "correct": "correct", "fast_1": "fast_1",
                 "verified fast_1": "v.fast_1", "geomean [95% CI]": "geomean [95% CI]"}
# A wider terminal (or COLUMNS) gets more columns, in this order, as many as fit; a pipe gets them all.
EXTRA_COLUMNS = ["fast_1.5", "fast_2", "vs compile", "pass@1", "build err", "provider", "platform", "hardware",
                 "tasks", "samples x turns", "task set", "tolerance", "harness", "status"]
# Model names are cut to this in the terminal table when it is narrower than its rows (Markdown, CSV and JSON
# keep them whole).
MODEL_CHARS = 14


def _table_width(widths: list[int]) -> int:
    """Columns of a `box.SIMPLE_HEAD` table without edge padding: one edge each side, three between columns."""
    return sum(widths) + 2 + 3 * (len(widths) - 1)


def table_columns(rows: list[list[str]], width: int | None) -> list[int]:
    """Indexes into `COLUMNS` of what the terminal table shows within `width` (None: no limit, every column)."""
    natural = [max([len(TABLE_COLUMNS.get(h, h)), *(len(r[i]) for r in rows)]) for i, h in enumerate(COLUMNS)]
    natural[COLUMNS.index("model")] = min(natural[COLUMNS.index("model")], MODEL_CHARS)
    keep = [COLUMNS.index(c) for c in TABLE_COLUMNS]
    for name in EXTRA_COLUMNS:
        index = COLUMNS.index(name)
        if width is None or _table_width([natural[i] for i in [*keep, index]]) <= width:
            keep.append(index)
    return sorted(keep)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _x(value: float | None) -> str:
    return times(value)


def _geomean(m: GroupMetrics) -> str:
    if m.geomean is None or m.geomean_ci is None:
        return "-"
    return with_interval(m.geomean, m.geomean_ci)


def row_cells(rank: int, run: RunMetrics, m: GroupMetrics) -> list[str]:
    """One leaderboard row as display strings, in `COLUMNS` order; stored text (a model's name, a task selection,
    a machine's description) cleaned of escape codes and control characters, as every format prints them."""
    vs_compile = "-" if m.geomean_vs_compile is None else f"{times(m.geomean_vs_compile)} ({m.compile_tasks} tasks)"
    return [str(rank), run.run_id, one_line(run.model), one_line(run.provider), one_line(run.platform),
            one_line(run.hardware), one_line(run.selection), str(m.tasks),
            f"{run.samples} x {run.turns}", _pct(m.correct_rate), _pct(m.fast_p.get("1")), _pct(m.verified_fast_1),
            _pct(m.fast_p.get("1.5")),
            _pct(m.fast_p.get("2")), _geomean(m), vs_compile, _pct(m.pass_at_k.get("1")), _pct(m.build_error_rate),
            ", ".join(run.harness_versions) + (" (rescored)" if run.rescored else ""), run.tolerance.value,
            run.status.value]


def title(split_label: str, platform: str | None, category: str | None) -> str:
    """What the leaderboard covers, said plainly."""
    parts = [f"split: {split_label}"]
    parts += [f"platform: {platform}"] if platform else []
    parts += [f"category: {category}"] if category else []
    return "Kernelwright leaderboard — " + ", ".join(parts)


def render(runs: list[RunMetrics], fmt: Format, heading: str, category: str | None,
           width: int | None = 80) -> Table | str:
    """The ranked runs in the asked-for format (a rich Table for `table`, with the columns that fit `width`;
    None: every column, names whole)."""
    ranked: list[tuple[int, RunMetrics, GroupMetrics]] = []
    for run in runs:
        group = run.by_category.get(category) if category else run.overall
        if group is not None:
            ranked.append((len(ranked) + 1, run, group))
    if fmt is Format.json:
        return json.dumps({"title": heading, "runs": [
            {"rank": rank, "run_id": r.run_id, "model": r.model, "provider": r.provider, "platform": r.platform,
             "hardware": r.hardware, "selection": r.selection, "split": r.split.value, "samples": r.samples,
             "turns": r.turns,
             "harness_versions": r.harness_versions, "rescored": r.rescored, "tolerance": r.tolerance.value,
             "status": r.status.value,
             "metrics": m.model_dump(mode="json")} for rank, r, m in ranked]}, indent=2)
    if fmt is Format.kernelbench:
        return kernelbench_table(runs, heading)
    rows = [row_cells(rank, r, m) for rank, r, m in ranked]
    if fmt is Format.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
        return buffer.getvalue()
    if fmt is Format.markdown:
        lines = [f"**{one_line(heading)}**", "", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
        return "\n".join(lines) + "\n"
    keep = table_columns(rows, width)
    covered = [f"{r.run_id}: {r.selection}, {m.tasks} tasks, {r.samples} x {r.turns}, {r.platform} on {r.hardware}, "
               f"harness {', '.join(r.harness_versions)}" + (" (rescored)" if r.rescored else "")
               + f", tolerance {r.tolerance.label}" for _, r, m in ranked]
    table = Table(title=untrusted(heading), title_justify="left", caption=untrusted("\n".join(covered)),
                  caption_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for i in keep:
        table.add_column(TABLE_COLUMNS.get(COLUMNS[i], COLUMNS[i]), no_wrap=True)
    model = COLUMNS.index("model")
    for row in rows:
        cells = [row[i] if i != model or width is None or len(row[i]) <= MODEL_CHARS
                 else row[i][: MODEL_CHARS - 1] + "…" for i in keep]
        table.add_row(*(untrusted(cell) for cell in cells))
    return table


KERNELBENCH_COLUMNS = ["run", "model", "platform", "tolerance", "level", "tasks", "fast_0", "fast_1"]


def kernelbench_table(runs: list[RunMetrics], heading: str) -> str:
    """fast_0 (correct) and fast_1 (correct and faster than eager) per level, one row per run and level, in
    Markdown as KernelBench's tables give them; each row names the tolerance its verdicts used (KernelBench's own
    numbers are at `kernelbench`: atol=rtol=1e-2)."""
    lines = [f"**{one_line(heading)}** (KernelBench format)", "", "| " + " | ".join(KERNELBENCH_COLUMNS) + " |",
             "|" + "---|" * len(KERNELBENCH_COLUMNS)]
    for run in runs:
        for level, m in sorted(run.by_level.items()):
            cells = [run.run_id, one_line(run.model), one_line(run.platform), run.tolerance.label, f"L{level}",
                     str(m.tasks), _pct(m.fast_p.get("0")), _pct(m.fast_p.get("1"))]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
