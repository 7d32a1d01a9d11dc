"""The live view of a bench run: a progress bar over every task's budget of model calls with an ETA, baselines, and
the tally so far. The bar reads each task's generic progress (calls spent of its budget, whatever the strategy)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from kernelwright.agent.search_context import Event, EventKind
from kernelwright.evaluator.result import EvalResult
from kernelwright.views.optimize_live import verdict_text
from kernelwright.views.safe_text import untrusted


class BenchProgress:
    """Consumes runner events; draws progress bars on a terminal, or prints a line per finished sample."""

    def __init__(self, console: Console, tasks: int, samples: int, turns: int) -> None:
        self.console, self.turns, self.samples = console, turns, samples
        self.total = tasks * samples * turns
        self.sample_total = tasks * samples
        self.samples_done: dict[str, int] = {}  # per task, in this process (a resumed run starts again at 0)
        self.spent: dict[str, int] = {}  # per task, the calls spent of its budget (the latest progress said)
        self.correct: set[str] = set()
        # Per sample (task, trajectory): its best verdict so far (the fastest correct, else the latest).
        self.verdicts: dict[tuple[str, int], tuple[EvalResult | None, str]] = {}
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), console=console,
                                 disable=not console.is_terminal)
        self.turn_bar = self.progress.add_task("turns", total=self.total)
        self.base_bar = self.progress.add_task("baselines", total=0)

    def __enter__(self) -> BenchProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def __call__(self, event: Event) -> None:
        if event.progress is not None and event.task_id is not None:
            self.spent[event.task_id] = event.progress.turns_done
            self.progress.update(self.turn_bar, completed=sum(self.spent.values()))
        if event.kind is EventKind.run_started:
            self.progress.update(self.turn_bar, completed=event.turn or 0)
            self.progress.update(self.base_bar, total=event.baselines)
            self._line(f"run {event.run_id}: {event.message}")
        elif event.kind is EventKind.turn_done:
            if event.result is not None and event.result.is_correct and event.task_id:
                self.correct.add(event.task_id)
            self._remember(event)
            self.progress.update(self.turn_bar, description=f"turns ({len(self.correct)} tasks correct)")
        elif event.kind is EventKind.trajectory_done:
            done = event.turn or 0  # the turns it did in all, those before a resume too
            verdict = self.verdicts.get((event.task_id or "", event.trajectory or 0), (None, "no turn"))[1]
            task = event.task_id or ""
            self.samples_done[task] = self.samples_done.get(task, 0) + 1
            count = sum(self.samples_done.values())
            early = f" after {done} of {self.turns} turns" if done < self.turns else ""
            self._line(f"[{count}/{self.sample_total} samples] {task} sample {event.trajectory}: {verdict}; "
                       f"stopped{early}: {event.message}")
            if self.samples_done[task] == self.samples:
                tasks_done = sum(n >= self.samples for n in self.samples_done.values())
                self._line(f"{task}: all {self.samples} samples done ({tasks_done} tasks done, "
                           f"{len(self.correct)} with a correct kernel)")
        elif event.kind is EventKind.baseline_done:
            self.progress.advance(self.base_bar)
            self._line(f"{event.task_id} baselines: {event.message}")

    def _remember(self, event: Event) -> None:
        key = (event.task_id or "", event.trajectory or 0)
        best, _ = self.verdicts.get(key, (None, ""))
        result = event.result
        better = result is not None and result.is_correct and (
            best is None or not best.is_correct or (result.speedup or 0.0) > (best.speedup or 0.0))
        if better or best is None or not best.is_correct:
            self.verdicts[key] = (result, verdict_text(event.outcome, result))

    def _line(self, text: str) -> None:
        # On a terminal the bars carry the news; elsewhere (CI logs) one plain line per event. Task ids and
        # messages come from task files, candidates and the reference's own runs: `Text`, never markup.
        if not self.console.is_terminal:
            self.console.print(untrusted(text), soft_wrap=True)
