"""`bench` piped (a log, CI): a line per finished sample with how many are done of all, how many turns it ran and
why it stopped, and a line when a task's samples are all done."""

from __future__ import annotations

from untrusted_text import recording_console, written

from kernelwright.agent.search import SearchProgress
from kernelwright.agent.search_context import Event, EventKind
from kernelwright.views.bench_progress import BenchProgress


def test_piped_bench_prints_a_line_per_sample_and_per_task() -> None:
    console = recording_console(terminal=False)
    with BenchProgress(console, tasks=2, samples=2, turns=4) as view:
        view(Event(kind=EventKind.trajectory_done, run_id="b1", task_id="activation/relu", trajectory=0, turn=2,
                   message="no new best in 2 turns"))
        view(Event(kind=EventKind.trajectory_done, run_id="b1", task_id="activation/relu", trajectory=1, turn=4,
                   message="used all 4 turns"))
        view(Event(kind=EventKind.trajectory_done, run_id="b1", task_id="pooling/max_pool2d", trajectory=0,
                   turn=1, message="3 failed turns in a row"))
    lines = written(console).splitlines()
    assert lines[0] == ("[1/4 samples] activation/relu sample 0: no turn; stopped after 2 of 4 turns: no new best "
                        "in 2 turns")
    assert lines[1] == "[2/4 samples] activation/relu sample 1: no turn; stopped: used all 4 turns"
    assert lines[2] == "activation/relu: all 2 samples done (1 tasks done, 0 with a correct kernel)"
    assert lines[3].startswith("[3/4 samples] pooling/max_pool2d sample 0") and len(lines) == 4


def test_the_bar_reads_each_tasks_progress_whatever_the_strategy() -> None:
    console = recording_console(terminal=False)
    with BenchProgress(console, tasks=2, samples=2, turns=4) as view:
        # A resumed task starts where its replay left it; then a call, then the search ends with budget left.
        view(Event(kind=EventKind.search_started, run_id="b1", task_id="a", progress=SearchProgress(turns_done=3,
                                                                                                  budget=8)))
        view(Event(kind=EventKind.turn_done, run_id="b1", task_id="a", trajectory=0, turn=3,
                   progress=SearchProgress(turns_done=4, budget=8)))
        view(Event(kind=EventKind.search_done, run_id="b1", task_id="b", progress=SearchProgress(turns_done=8,
                                                                                               budget=8)))
        bar = view.progress.tasks[0]
    assert (bar.completed, bar.total) == (12, 16)
