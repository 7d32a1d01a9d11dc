"""A speedup is never rounded onto or across 1.00x: 1.004x and 0.996x keep the decimals that tell them from 1, in
the report, the leaderboard, the pages' verdicts and the CLI's; and a report says when fast_1 counts a task whose
interval reaches 1.0x (an `arch` task at 1.004x is counted, and the report names it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernelwright.agent.bench.config import Split
from kernelwright.agent.bench.metrics import RunMetrics, Sample, TaskOutcome, group_metrics
from kernelwright.db.enums import RunStatus
from kernelwright.evaluator.result import EvalResult, Reason, Stage, Status
from kernelwright.server.queries import verdict_text as page_verdict
from kernelwright.views.leaderboard import Format, render
from kernelwright.views.numbers import ratio, times, with_interval
from kernelwright.views.optimize_live import verdict_text as cli_verdict
from kernelwright.views.report import write_report


@pytest.mark.parametrize(("value", "shown"), [(1.004, "1.004"), (0.996, "0.996"), (0.9996, "0.9996"),
                                              (1.0, "1.00"), (1.23, "1.23"), (0.5, "0.50"), (10.0, "10.00"),
                                              (1.01, "1.01"), (0.994, "0.99")])
def test_ratio_keeps_the_side_of_one(value: float, shown: str) -> None:
    assert ratio(value) == shown


def test_speedups_near_one_read_as_what_they_are() -> None:
    assert times(1.004) == "1.004x" and times(None) == "-"
    assert with_interval(1.004, (0.998, 1.03)) == "1.004x [0.998, 1.03]"
    result = EvalResult(status=Status.correct, reason=Reason.ok, stage=Stage.done, speedup=0.996,
                        speedup_ci=(0.99, 1.002), platform="cpu", hardware="h", harness_version="2", task_id="t",
                        task_hash="h")
    assert "0.996x [0.99, 1.002]" in page_verdict(result)
    assert "0.996x [0.99, 1.002]" in cli_verdict(None, result)


def _run() -> RunMetrics:
    arch = TaskOutcome(task_id="arch/tiny_mlp", category="arch", level=3, held_out=False,
                       samples=[Sample(trajectory=0, correct=True, speedup=1.004, speedup_ci=(0.98, 1.03))],
                       correct=True, speedup=1.004, speedup_ci=(0.98, 1.03))
    relu = TaskOutcome(task_id="activation/relu", category="activation", level=1, held_out=False,
                       samples=[Sample(trajectory=0, correct=True, speedup=2.0, speedup_ci=(1.8, 2.2))],
                       correct=True, speedup=2.0, speedup_ci=(1.8, 2.2))
    overall = group_metrics([arch, relu], 1)
    return RunMetrics(run_id="b1", status=RunStatus.finished, model="m", provider="openai", platform="cpu",
                      hardware="h", selection="suite", split=Split.all, samples=1, turns=1, harness_versions=["2"],
                      created_at="2026-01-01T00:00:00", overall=overall,
                      by_category={"arch": group_metrics([arch], 1), "activation": group_metrics([relu], 1)},
                      by_level={"1": group_metrics([relu], 1), "3": group_metrics([arch], 1)}, tasks=[arch, relu])


def test_the_report_shows_1004_and_says_fast_1_counts_it(tmp_path: Path) -> None:
    run = _run()
    assert run.overall.fast_p["1"] == 1.0  # counted: the point estimate is above 1.0x
    write_report(run, tmp_path)
    report = (tmp_path / "report.md").read_text()
    assert "| arch/tiny_mlp | 3 | 1/1 | 1.004x [0.98, 1.03] |" in report
    assert ("fast_1 counts 1 task whose interval reaches 1.0x or below (faster on the point estimate only; not in "
            "verified fast_1): arch/tiny_mlp 1.004x [0.98, 1.03]") in report
    board = render([run], Format.markdown, "board", "arch")
    assert isinstance(board, str) and "1.004x [1.004, 1.004]" in board and "1.00x" not in board


def test_the_html_report_has_the_plots_inline_and_shows_stored_text_as_text(tmp_path: Path) -> None:
    run = _run().model_copy(update={"turns": 2})  # two turns: all three plots
    hostile = "arch/<script>alert(1)</script>|x"
    run.tasks[0].task_id = hostile
    write_report(run, tmp_path)
    page = (tmp_path / "report.html").read_text()
    assert page.count('src="data:image/png;base64,') == 3 and "<script" not in page
    assert "<td>arch/&lt;script&gt;alert(1)&lt;/script&gt;|x</td><td>3</td><td>1/1</td><td>1.004x [0.98, 1.03]</td>" \
        in page
    assert "<strong>1.42x</strong>" in page and "fast_1 counts 1 task" in page
