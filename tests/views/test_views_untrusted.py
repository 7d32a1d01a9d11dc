"""Row 22, view by view: text from a candidate, a task file or a model endpoint reaches the screen inert.

Each view renders `HOSTILE` (escape codes, bidi overrides, CR/BS, Rich markup and an emoji code that together
would repaint a verdict as `correct 42.00x`) into an in-memory console, with colours and, where the view has one,
on its plain (piped) path too.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from untrusted_text import (
    BOLD_GREEN,
    HOSTILE,
    SGR,
    TASK_SOURCE,
    assert_inert,
    failed_result,
    recording_console,
    render,
    written,
)

from kernelwright.agent.bench.config import Split
from kernelwright.agent.bench.metrics import RunMetrics, Sample, TaskOutcome, group_metrics
from kernelwright.agent.export.envelope import Envelope, PointVerdict
from kernelwright.agent.search_context import Event, EventKind
from kernelwright.agent.summary import RunSummary
from kernelwright.commands import evaluate as evaluate_cmd
from kernelwright.commands.tasks import _list_table, _outcome_table
from kernelwright.db.enums import RunStatus, TurnOutcome
from kernelwright.evaluator.result import Status
from kernelwright.tasks.importer import ImportFormat, ImportReport, ImportSource, Outcome
from kernelwright.tasks.importer import TaskOutcome as ImportOutcome
from kernelwright.tasks.loader import load_task_source
from kernelwright.views.bench_progress import BenchProgress
from kernelwright.views.leaderboard import Format
from kernelwright.views.leaderboard import render as render_board
from kernelwright.views.optimize_live import OptimizeLive
from kernelwright.views.run_summary import summary_table
from kernelwright.views.sweep import sweep_plot, sweep_rich_table


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "piped"])
def test_eval_table_shows_the_real_status_and_the_message_and_log_inert(terminal: bool,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    console = recording_console(terminal, width=120)
    monkeypatch.setattr(evaluate_cmd, "out", console)
    evaluate_cmd._print_result(failed_result(log=f"first line {HOSTILE}\nsecond line"))
    output = written(console)
    assert_inert(output)
    rows = [line.strip() for line in SGR.sub("", output).splitlines()]
    # The log first, its lines kept and framed (no `[dim]` printed around it); then the table, status on top.
    table = next(i for i, row in enumerate(rows) if row.startswith("status"))
    assert rows[table].split() == ["status", "runtime_error"] and "[dim]" not in output
    assert all(row[:1] in ("╭", "│", "╰") for row in rows[:table] if row)
    assert rows[1].startswith("│ first line") and "│ second line" in [row[:13] for row in rows[:table]]


def test_eval_table_keeps_a_long_message_short(monkeypatch: pytest.MonkeyPatch) -> None:
    console = recording_console(terminal=False)
    monkeypatch.setattr(evaluate_cmd, "out", console)
    many = "\n".join(["", "   status  correct", *(f"line {i}" for i in range(40)), "\r" * 300])
    wide = "x " * 5000
    for message in (many, wide):
        console.file.truncate(0)  # type: ignore[attr-defined]
        console.file.seek(0)  # type: ignore[attr-defined]
        evaluate_cmd._print_result(failed_result().model_copy(update={"message": message}))
        rows = [line.strip() for line in written(console).splitlines()]
        assert rows[0].split() == ["status", "runtime_error"] and len(rows) < 30
        assert "(cut here: --json has the whole message)" in " ".join(rows)


@pytest.mark.parametrize("terminal", [True, False], ids=["live", "lines"])
def test_optimize_live_view_shows_messages_and_task_ids_inert(terminal: bool) -> None:
    console = recording_console(terminal)
    view = OptimizeLive(console, f"task {HOSTILE}", trajectories=1, turns=2)
    view.live = None  # draw by hand below, not from Live's refresh thread
    for event in (Event(kind=EventKind.run_started, run_id="r1", message=HOSTILE),
                  Event(kind=EventKind.turn_done, run_id="r1", trajectory=0, turn=0, outcome=TurnOutcome.evaluated,
                        result=failed_result()),
                  Event(kind=EventKind.trajectory_done, run_id="r1", trajectory=0, message=HOSTILE)):
        view(event)
    printed = written(console)
    assert_inert(printed)
    assert "runtime_error (runtime_exception)" in printed
    assert_inert(render(view._render(), terminal))


def test_run_summary_shows_task_ids_and_stop_reasons_inert() -> None:
    summary = RunSummary(run_id="r1", status=RunStatus.finished, task_id=HOSTILE, platform="cpu", provider=HOSTILE,
                         stop_reasons=[f"trajectory 0: {HOSTILE}"])
    flat = assert_inert(render(summary_table(summary)))
    assert "no correct candidate was found" in flat


def test_bench_lines_show_baseline_and_stop_messages_inert() -> None:
    console = recording_console(terminal=False)
    view = BenchProgress(console, tasks=1, samples=1, turns=1)
    view(Event(kind=EventKind.baseline_done, run_id="b1", task_id=HOSTILE, message=HOSTILE))
    view(Event(kind=EventKind.trajectory_done, run_id="b1", task_id="t", trajectory=0, turn=1, message=HOSTILE))
    assert_inert(written(console))


def _run_metrics(model: str) -> RunMetrics:
    outcomes = [TaskOutcome(task_id=f"imported/{HOSTILE}", category="activation", level=1, held_out=False,
                            samples=[Sample(trajectory=0, correct=True, speedup=1.5)], correct=True, speedup=1.5,
                            speedup_ci=(1.2, 1.8))]
    metrics = group_metrics(outcomes, 1)
    return RunMetrics(run_id="b1", status=RunStatus.finished, model=model, provider="openai", platform="cpu",
                      hardware=HOSTILE, selection=HOSTILE, split=Split.all, samples=1, turns=1,
                      harness_versions=["2.0.0"], created_at="2026-01-01T00:00:00", overall=metrics,
                      by_category={"activation": metrics}, by_level={"1": metrics}, tasks=outcomes)


def test_leaderboard_table_shows_stored_text_inert() -> None:
    table = render_board([_run_metrics(HOSTILE)], Format.table, f"board {HOSTILE}", None)
    assert not isinstance(table, str)
    assert_inert(render(table, width=400))


@pytest.mark.parametrize("fmt", [Format.markdown, Format.csv, Format.kernelbench])
def test_leaderboard_text_formats_keep_one_line_per_run_and_no_control_codes(fmt: Format) -> None:
    text = render_board([_run_metrics(HOSTILE)], fmt, HOSTILE, None)
    assert isinstance(text, str)
    assert_inert(text.replace("\r\n", "\n") if fmt is Format.csv else text)  # CSV's own line ends are CR LF
    if fmt is Format.csv:
        rows = list(csv.reader(io.StringIO(text)))
        assert len(rows) == 2 and "[bold green]correct[/]" in rows[1][2]
    else:
        assert len([line for line in text.splitlines() if "| b1 |" in line]) == 1


def test_report_markdown_cells_stay_in_their_column() -> None:
    from kernelwright.views.report import md  # loads matplotlib: only for this test

    cell = md(f"a|b<script>{HOSTILE}\nnext")
    assert "\n" not in cell and "|" not in cell.replace("\\|", "") and "<script>" not in cell
    assert_inert(cell)


def test_sweep_table_shows_labels_and_sizes_inert() -> None:
    point = PointVerdict(label=HOSTILE, constants={HOSTILE: 4}, input_shapes=[[4]], input_dtypes=["float32"],
                         status=Status.incorrect)
    envelope = Envelope(device="cpu", dtypes=["float32"], ranks=[1], dim_low=[[4]], dim_high=[[4]],
                        multiple_of=[[1]], buckets=[], points=[point])
    assert_inert(render(sweep_rich_table(7, envelope), width=400))


def test_sweep_plot_is_titled_with_its_task_and_labels_every_point(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib.axes import Axes

    points = [PointVerdict(label=f"size {i}", constants={"N": 4 * 10**i}, input_shapes=[[4 * 10**i]],
                           input_dtypes=["float32"], status=Status.correct, speedup=1.5, speedup_ci=(1.2, 1.8))
              for i in range(1, 4)]
    envelope = Envelope(device="cpu", dtypes=["float32"], ranks=[1], dim_low=[[40]], dim_high=[[4000]],
                        multiple_of=[[1]], buckets=[], points=points)
    titles: list[str] = []
    labels: list[tuple[str, tuple[float, float]]] = []
    monkeypatch.setattr(Axes, "set_title", lambda self, text, **kw: titles.append(text))
    real_annotate = Axes.annotate

    def annotate(self: Axes, text: str, xy: Any, **kw: Any) -> Any:
        labels.append((text, kw["xytext"]))
        return real_annotate(self, text, xy, **kw)

    monkeypatch.setattr(Axes, "annotate", annotate)
    path = sweep_plot(7, "user/$x$-task\nsecond line", envelope, tmp_path / "sweep.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert titles == [r"kernel 7 of user/\$x\$-task second line on cpu"]  # the task, one line, no math text
    assert [text for text, _ in labels] == ["size 1", "size 2", "size 3"]
    assert len({offset for _, offset in labels}) == 3  # neighbours' labels at different heights


def test_tasks_list_shows_imported_ids_and_descriptions_inert() -> None:
    task = load_task_source(TASK_SOURCE, "<hostile>", task_id=f"imported/{HOSTILE}")
    table = _list_table([task], "1 task", 400)
    assert_inert(render(table, width=400))
    # Widths are measured on what is shown: the id column holds the cleaned id whole, on one line.
    assert any(line.lstrip().startswith("imported/[bold green]correct[/]") for line in render(table, False, 400)
               .splitlines())


def test_tasks_import_table_shows_paths_reasons_and_notes_inert() -> None:
    report = ImportReport(source=ImportSource(name=HOSTILE, root="/checkout", format=ImportFormat.kernelbench),
                          outcomes=[ImportOutcome(path=f"level1/{HOSTILE}.py", outcome=Outcome.failed_to_load,
                                                  reason=HOSTILE, note=HOSTILE)])
    flat = assert_inert(render(_outcome_table(report), width=600))
    assert "failed_to_load" in flat


def test_warnings_and_errors_print_their_text_inert(monkeypatch: pytest.MonkeyPatch) -> None:
    from kernelwright import console as console_module

    console = recording_console()
    monkeypatch.setattr(console_module, "err", console)
    console_module.warn(HOSTILE)
    console_module.fail(HOSTILE)
    output = written(console)
    assert_inert(output)
    assert "warning:" in output and "error:" in output and BOLD_GREEN not in output
