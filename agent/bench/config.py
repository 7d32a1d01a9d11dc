"""What a bench run covers and how it runs: selected tasks, split, provider, samples x turns, baselines."""

from __future__ import annotations

import fnmatch
from enum import Enum

from pydantic import BaseModel, Field

from kernelwright.agent.providers import ProviderConfig
from kernelwright.agent.search import SearchConfig
from kernelwright.agent.starting import StartingKernel
from kernelwright.evaluator import EvalOptions
from kernelwright.tasks.model import Task
from kernelwright.tasks.registry import TaskSource, all_tasks, example_solutions


class Split(str, Enum):
    """Which tasks a bench run or a leaderboard covers."""

    all = "all"
    public = "public"  # held-out tasks excluded
    held_out = "held-out"  # only the held-out tasks

    def keeps(self, held_out: bool) -> bool:
        """Whether a task with this held-out mark belongs to the split."""
        return self is Split.all or held_out == (self is Split.held_out)

    @property
    def label(self) -> str:
        """What a leaderboard says it covers."""
        return {Split.all: "all tasks", Split.public: "public tasks (held-out excluded)",
                Split.held_out: "held-out tasks only"}[self]


class Suite(str, Enum):
    """Named task sets."""

    builtin = "builtin"  # the 171 tasks shipped in tasks/suite
    smoke = "smoke"  # one built-in task per category, each with a cpu example solution (the demo)
    imported = "imported"  # everything registered with `tasks import`
    all = "all"  # builtin + imported


class BenchTask(BaseModel):
    """A task of a bench run as it was when the run started (resume checks the version is unchanged)."""

    id: str
    origin: str
    source_hash: str
    start: StartingKernel | None = Field(default=None, description="the kernel its searches start from (the port "
                                         "track: the task's kernel on the source platform)")


class BenchConfig(BaseModel):
    """Everything a bench run needs to be repeated or resumed; stored with the run."""

    selection: str = Field(description="how the tasks were chosen, for people")
    suite: Suite | None = Field(default=None, description="the named task set asked for")
    patterns: list[str] = Field(default_factory=list, description="the task id globs asked for")
    category: str | None = None
    level: int | None = None
    split: Split = Split.all
    tasks: list[BenchTask] = Field(description="the selected tasks as they were when the run started")
    platform: str = "cpu"
    port_from: str | None = Field(default=None, description="the port track: every task starts from its kernel on "
                                  "this platform (tasks without one are left out)")
    provider: ProviderConfig = Field(default_factory=ProviderConfig)
    search: SearchConfig = Field(default_factory=SearchConfig, description="trajectories = samples per task")
    eval: EvalOptions = Field(default_factory=EvalOptions)
    concurrency: int = Field(default=8, ge=1, description="trajectories in flight at once, over all tasks (and tasks "
                             "started at once)")

    @property
    def samples(self) -> int:
        return self.search.trajectories


def _smoke(tasks: list[Task]) -> list[Task]:
    chosen: dict[str, Task] = {}
    for task in tasks:
        if task.category.value not in chosen and "cpu" in example_solutions(task):
            chosen[task.category.value] = task
    return [chosen[c] for c in sorted(chosen)]


def select_tasks(suite: Suite | None, patterns: list[str], split: Split, category: str | None = None,
                 level: int | None = None) -> list[Task]:
    """The tasks a bench run covers: a named suite and/or id globs (`pooling/*`), then category, level, split."""
    if suite is None and not patterns:
        suite = Suite.builtin
    source = {Suite.builtin: TaskSource.suite, Suite.smoke: TaskSource.suite, Suite.imported: TaskSource.imported,
              Suite.all: TaskSource.all, None: TaskSource.all}[suite]
    tasks = all_tasks(source, category, level)
    if suite is Suite.smoke:
        tasks = _smoke(tasks)
    if patterns:
        tasks = [t for t in tasks if any(fnmatch.fnmatchcase(t.id, p) for p in patterns)]
    return [t for t in tasks if split.keeps(t.held_out)]


def describe_selection(suite: Suite | None, patterns: list[str], split: Split, category: str | None,
                       level: int | None, port_from: str | None = None) -> str:
    """`suite smoke, tasks pooling/*, level 1, split all` (and `, ported from cuda` on the port track)."""
    parts = [f"suite {suite.value}"] if suite is not None else []
    parts += [f"tasks {' '.join(patterns)}"] if patterns else []
    parts += [f"category {category}"] if category else []
    parts += [f"level {level}"] if level is not None else []
    ported = [f"ported from {port_from}"] if port_from else []
    return ", ".join([*(parts or ["suite builtin"]), f"split {split.value}", *ported])
