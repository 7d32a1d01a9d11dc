"""One model per command that reads a `--config` file: what the file may say, and what a stored run's
configuration looks like written back as such a file (`kernelwright runs show RUN_ID --config`).

The sections (`provider`, `search`, `eval`, `cluster`, `reward`) are the very models the runs store, so a
file, the command line and a stored run describe a run in one vocabulary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, model_validator

from kernelwright.agent.bench.config import Split, Suite
from kernelwright.agent.evaluators import ClusterConfig
from kernelwright.agent.providers import ProviderConfig
from kernelwright.agent.search import SearchConfig
from kernelwright.agent.starting import is_kernel_id
from kernelwright.config.files import FILE_OR_ID, without_retired
from kernelwright.evaluator import EvalOptions
from kernelwright.rl.trainers.options import GrpoOptions, SftOptions
from kernelwright.tasks.errors import TaskLoadError
from kernelwright.tasks.hashing import sha256_text
from kernelwright.tasks.registry import resolve_task


class OptimizeCommand(BaseModel):
    """`kernelwright optimize --config FILE`: one operator, N trajectories x T turns."""

    task: str | None = Field(default=None, description="an operator file, a suite id (pooling/max_pool2d) or an "
                             "imported id; may be left out when `from_kernel` is a stored kernel (it knows its "
                             "task)", json_schema_extra=FILE_OR_ID)
    task_source: str | None = Field(default=None, description="the operator's exact source; when given it is "
                                    "run instead of reading `task` (runs show --config writes it when the "
                                    "file has changed since)")
    platform: str = "cpu"
    from_kernel: str | None = Field(default=None, description="start from this kernel: a stored kernel id or a "
                                    "solution file; on another platform than `platform` the search is a port",
                                    json_schema_extra=FILE_OR_ID)
    from_platform: str | None = Field(default=None, description="the platform a `from_kernel` file was written "
                                      "for (default: the one its name says, relu.cuda.py: cuda)")
    provider: ProviderConfig = Field(default_factory=ProviderConfig)
    search: SearchConfig = Field(default_factory=SearchConfig)
    eval: EvalOptions = Field(default_factory=EvalOptions)
    cluster: ClusterConfig = Field(default_factory=ClusterConfig, description="where evaluators run (not "
                                   "stored with the run)")
    out: Path | None = Field(default=None, description="write the best verified kernel here")
    sweep: bool = Field(default=False, description="judge the answer over its task's shape sweep when the run ends")
    export: Path | None = Field(default=None, description="export the answer as a pip-installable package here "
                                "(sweeps it first)")

    @model_validator(mode="after")
    def _task_known(self) -> OptimizeCommand:
        # A stored kernel knows its task; a file or no starting kernel does not.
        if self.task is None and not is_kernel_id(self.from_kernel or ""):
            raise ValueError("task: required (an operator file or suite id) unless from_kernel is a stored "
                             "kernel id, which knows its task")
        return self


class BenchCommand(BaseModel):
    """`kernelwright bench --config FILE`: a task selection, each task K samples x T turns."""

    suite: Suite | None = Field(default=None, description="builtin, smoke, imported or all (default builtin "
                                "when no `tasks`)")
    tasks: list[str] = Field(default_factory=list, description="task id globs, e.g. pooling/*")
    category: str | None = None
    level: int | None = None
    split: Split = Split.all
    platform: str = "cpu"
    port_from: str | None = Field(default=None, description="also run the port track: the tasks with a kernel on "
                                  "this platform (suite examples, imported HPCTransEval CUDA), each search starting "
                                  "from that kernel, beside a run from scratch over the same tasks")
    provider: ProviderConfig = Field(default_factory=ProviderConfig)
    search: SearchConfig = Field(default_factory=lambda: SearchConfig(trajectories=1, turns=1),
                                 description="trajectories = samples per task (pass@k)")
    eval: EvalOptions = Field(default_factory=EvalOptions)
    concurrency: int = Field(default=8, ge=1, description="samples in flight at once, over all tasks")
    cluster: ClusterConfig = Field(default_factory=ClusterConfig, description="where evaluators run (not "
                                   "stored with the run)")


class SftCommand(SftOptions):
    """`kernelwright train sft --config FILE`."""


class GrpoCommand(GrpoOptions):
    """`kernelwright train grpo --config FILE`: the trainer's options and the tasks it trains on."""

    tasks: list[str] = Field(default_factory=list, description="tasks (suite ids or files) to train on",
                             json_schema_extra=FILE_OR_ID)
    data: Path | None = Field(default=None, description="a GRPO export; its task ids are added to `tasks`")


def _sections(config: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: config[key] for key in keys if key in config}


def optimize_file(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored optimize config as an `OptimizeCommand` file that reruns it: the task by id, and its source
    too when the id no longer reads the same text."""
    task_ref = stored.get("task_id") or stored["task_origin"]
    data: dict[str, Any] = {"task": task_ref, **start_keys(stored.get("start"))}
    try:
        unchanged = resolve_task(task_ref).source_hash == sha256_text(stored["task_source"])
    except TaskLoadError:
        unchanged = False
    if not unchanged:
        data["task_source"] = stored["task_source"]
    return data | _sections(stored, ("platform", "provider", "search", "eval"))


def start_keys(start: dict[str, Any] | None) -> dict[str, Any]:
    """A stored starting kernel as the `from_kernel` keys that name it again (none for a run without one)."""
    if not start:
        return {}
    if start.get("kernel_id") is not None:
        return {"from_kernel": str(start["kernel_id"])}
    return {"from_kernel": start["file"], "from_platform": start["platform"]}


def bench_file(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored bench config as a `BenchCommand` file that reruns it; runs stored before the selection was
    recorded name their tasks one by one."""
    if stored.get("suite") is None and not stored.get("patterns"):
        data: dict[str, Any] = {"tasks": [task["id"] for task in stored.get("tasks", [])]}
    else:
        data = {"suite": stored.get("suite"), "tasks": stored.get("patterns", [])}
        data |= {key: stored[key] for key in ("category", "level") if stored.get(key) is not None}
    if stored.get("port_from"):  # a port track's run reruns as one (and its run from scratch beside it)
        data["port_from"] = stored["port_from"]
    return data | _sections(stored, ("split", "platform", "provider", "search", "eval", "concurrency"))


def grpo_file(stored: dict[str, Any], task_ids: list[str]) -> dict[str, Any]:
    """A stored GRPO run's options as a `GrpoCommand` file, with the tasks it trained on (less the keys retired
    since the run, e.g. `reward.advantage_clip`)."""
    return {**without_retired(GrpoCommand, {k: v for k, v in stored.items() if k != "cluster"}), "tasks": task_ids}
