"""The summary table of one run (printed by `optimize` at the end and by `runs show`)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from kernelwright.agent.summary import RunSummary
from kernelwright.views.safe_text import untrusted


def summary_table(summary: RunSummary) -> Table:
    """Key facts of a run: outcome, best kernel with its interval, usage (stored text shown as `Text`, never
    markup: stop reasons and task ids may come from a model endpoint or an imported task)."""
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold cyan", justify="right")
    table.add_column()
    answer = summary.answer
    rows: list[tuple[str, str | Text]] = [
        ("run", f"{summary.run_id} ({summary.status.value})"),
        ("task", f"{summary.task_id or '-'} on {summary.platform or '-'}"),
        ("provider", summary.provider or "-"),
        ("result", summary.message),
    ]
    if answer is not None:
        rows.append(("speedup", Text.assemble((answer.speedup_text, "bold green"), " vs PyTorch eager, 95% interval")))
    elif summary.best_correct is not None:
        rows.append(("fastest correct", summary.best_correct.speedup_text))
    rows += [
        ("turns", f"{summary.turns} in {summary.trajectories} trajectories: {summary.evaluated} evaluated, "
                  f"{summary.cached} served from the cache, {summary.no_code} without code, "
                  f"{summary.llm_errors} LLM errors; {summary.correct} correct"),
        ("tokens", f"{summary.prompt_tokens:,} in / {summary.completion_tokens:,} out"),
        ("cost", f"${summary.cost_usd:.4f}"),
    ]
    for key, value in rows:
        table.add_row(key, value if isinstance(value, Text) else untrusted(value))
    for reason in summary.stop_reasons:
        table.add_row("stopped", untrusted(reason))
    return table
