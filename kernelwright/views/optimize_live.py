"""The live view of an optimize run: one row per worker (a trajectory, an island, a tree worker), the calls spent of
the budget, the best so far, then the final summary."""

from __future__ import annotations

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from kernelwright.agent.search import is_verified_speedup
from kernelwright.agent.search_context import Event, EventKind
from kernelwright.db.enums import TurnOutcome
from kernelwright.evaluator.result import EvalResult
from kernelwright.views.numbers import with_interval
from kernelwright.views.safe_text import untrusted


def verdict_text(outcome: TurnOutcome | None, result: EvalResult | None) -> str:
    """A short verdict: `correct 1.42x [1.30, 1.55]`, `build_error (compile_error)`, `no code`..."""
    if outcome is TurnOutcome.no_code:
        return "no code"
    if outcome is TurnOutcome.llm_error:
        return "LLM error"
    if result is None:
        return "-"
    text = result.status.value
    if result.speedup is not None and result.speedup_ci is not None:
        text += f" {with_interval(result.speedup, result.speedup_ci)}"
    elif result.reason.value != "ok":
        text += f" ({result.reason.value})"
    return text + (" (cached)" if outcome is TurnOutcome.cached else "")


class OptimizeLive:
    """Consumes runner events; draws a live table on a terminal, or prints one line per turn otherwise.

    Event messages (a stop reason, an LLM error) and the task id are shown as `Text`, never as markup.
    """

    def __init__(self, console: Console, title: str, trajectories: int, turns: int) -> None:
        self.console, self.title, self.turns = console, title, turns
        self.rows: dict[int, dict[str, str]] = {i: {"turn": "-", "doing": "waiting", "last": "-", "best": "-"}
                                                for i in range(trajectories)}
        self.best: tuple[float, str] | None = None
        self.spent = f"0/{trajectories * turns}"  # model calls of the budget, from the search's progress
        self.live = Live(self._render(), console=console, refresh_per_second=4, transient=False) \
            if console.is_terminal else None

    def __enter__(self) -> OptimizeLive:
        if self.live is not None:
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.update(self._render())
            self.live.__exit__(None, None, None)

    def __call__(self, event: Event) -> None:
        if event.progress is not None:
            self.spent = f"{event.progress.turns_done}/{event.progress.budget}"
        if event.kind is EventKind.run_started:
            self.title = f"{self.title}  run {event.run_id}"
            if self.live is None:
                self.console.print(untrusted(f"run {event.run_id}: {event.message}"))
        elif event.trajectory is not None:
            row = self.rows.setdefault(event.trajectory, {"turn": "-", "doing": "", "last": "-", "best": "-"})
            if event.kind is EventKind.phase:
                row.update(turn=f"{(event.turn or 0) + 1}/{self.turns}", doing=event.phase)
            elif event.kind is EventKind.turn_done:
                self._turn_done(row, event)
            elif event.kind is EventKind.trajectory_done:
                row["doing"] = f"stopped: {event.message}"
                if self.live is None:
                    self.console.print(untrusted(f"trajectory {event.trajectory} stopped: {event.message}"))
        if self.live is not None:
            self.live.update(self._render())

    def _turn_done(self, row: dict[str, str], event: Event) -> None:
        verdict = verdict_text(event.outcome, event.result)
        row.update(turn=f"{(event.turn or 0) + 1}/{self.turns}", doing="thinking", last=verdict)
        result = event.result
        if event.improved and result is not None and result.speedup is not None:
            row["best"] = f"{result.speedup:.2f}x"
            if is_verified_speedup(result) and (self.best is None or result.speedup > self.best[0]):
                self.best = (result.speedup, f"trajectory {event.trajectory}, turn {(event.turn or 0) + 1}")
        if self.live is None:
            self.console.print(untrusted(f"[{self.spent} calls] trajectory {event.trajectory} turn "
                                         f"{(event.turn or 0) + 1}: {verdict}"))

    def _render(self) -> Group:
        table = Table(title=untrusted(f"{self.title}  ·  {self.spent} model calls"), title_justify="left",
                      expand=False)
        for col in ("trajectory", "turn", "doing", "last verdict", "best"):
            table.add_column(col)
        for index, row in sorted(self.rows.items()):
            table.add_row(str(index), *(untrusted(row[key]) for key in ("turn", "doing", "last", "best")))
        best = (f"best verified so far: [bold green]{self.best[0]:.2f}x[/] ({self.best[1]})" if self.best
                else "best verified so far: none yet")
        return Group(table, Text.from_markup(best))
