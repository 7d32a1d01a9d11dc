"""The port track of `kernelwright bench --port-from PLATFORM`: over the selected tasks that have a kernel on the
source platform (a suite task's example solution for it, or the kernel an imported HPCTransEval pair shipped), every
search starts from that kernel on the target platform; a second run over the same tasks writes from scratch, and
the two runs' numbers are set side by side."""

from __future__ import annotations

from pydantic import BaseModel, Field

from kernelwright.agent.bench.metrics import RunMetrics
from kernelwright.agent.starting import StartingKernel, file_start
from kernelwright.tasks.model import Task
from kernelwright.tasks.registry import source_kernels


class PortTrack(BaseModel):
    """The tasks a port track covers, the kernel each starts from, and the selected tasks it leaves out."""

    source: str = Field(description="the platform the starting kernels were written for")
    tasks: list[Task]
    starts: dict[str, StartingKernel] = Field(description="task id -> its kernel on the source platform")
    left_out: list[str] = Field(default_factory=list, description="selected tasks with no kernel on the source")


def port_track(tasks: list[Task], source: str) -> PortTrack:
    """The selected tasks that have a kernel on `source`, each with it as its starting kernel (`StartError` when a
    kernel file cannot be read)."""
    kept: list[Task] = []
    starts: dict[str, StartingKernel] = {}
    left_out: list[str] = []
    for task in tasks:
        path = source_kernels(task).get(source)
        if path is None:
            left_out.append(task.id)
            continue
        kept.append(task)
        starts[task.id] = file_start(path, source)
    return PortTrack(source=source, tasks=kept, starts=starts, left_out=left_out)


class TrackNumbers(BaseModel):
    """One track's headline numbers: how many tasks got a correct kernel and how fast the correct ones are."""

    run_id: str
    tasks: int
    correct: int
    fast_1: float = Field(description="share of tasks correct and faster than PyTorch eager")
    geomean: float | None = Field(default=None, description="geometric-mean speedup over correct, timed tasks")
    geomean_ci: tuple[float, float] | None = None

    @classmethod
    def of(cls, metrics: RunMetrics) -> TrackNumbers:
        """The numbers of a bench run's metrics."""
        overall = metrics.overall
        return cls(run_id=metrics.run_id, tasks=overall.tasks, correct=sum(t.correct for t in metrics.tasks),
                   fast_1=overall.fast_p.get("1", 0.0), geomean=overall.geomean, geomean_ci=overall.geomean_ci)

    def describe(self) -> str:
        """`3/5 correct, 40% faster than eager, geomean 1.21x [1.05, 1.40] (run a1b2c3)`."""
        speed = ("no correct kernel timed" if self.geomean is None or self.geomean_ci is None
                 else f"geomean {self.geomean:.2f}x [{self.geomean_ci[0]:.2f}, {self.geomean_ci[1]:.2f}]")
        return (f"{self.correct}/{self.tasks} correct, {100 * self.fast_1:.0f}% faster than eager, {speed} "
                f"(run {self.run_id})")


class PortComparison(BaseModel):
    """The port track next to writing from scratch, over the same tasks, platform, model and budget."""

    port_from: str
    platform: str
    ported: TrackNumbers
    from_scratch: TrackNumbers
    left_out: list[str] = Field(default_factory=list, description="selected tasks with no kernel on the source")

    def lines(self) -> list[str]:
        """The comparison as a few lines for the terminal."""
        out = [f"ported from {self.port_from} to {self.platform}: {self.ported.describe()}",
               f"written from scratch on {self.platform}: {self.from_scratch.describe()}"]
        if self.left_out:
            out.append(f"left out (no {self.port_from} kernel): {len(self.left_out)} tasks")
        return out
