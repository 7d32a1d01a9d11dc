"""The HTTP API's request and response bodies (pydantic, so the OpenAPI schema is exact)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field

from kernelwright.agent.bench.metrics import GroupMetrics

# An operator file is a few KB; the body limit (`max_body_bytes`) bounds the whole request anyway.
MAX_SOURCE_CHARS = 200_000


class OptimizeRequest(BaseModel):
    """Submit an operator: its KernelBench-format source, or the id of a suite task."""

    model_config = ConfigDict(extra="forbid")

    source: str | None = Field(default=None, max_length=MAX_SOURCE_CHARS, description="the operator file's "
                               "text: `class Model`, `get_inputs()`, `get_init_inputs()`")
    task_id: str | None = Field(default=None, max_length=200, description="a suite task id (e.g. "
                                "`pooling/max_pool2d`) instead of `source`")
    name: str | None = Field(default=None, max_length=80, pattern=r"^[A-Za-z0-9_.-]+$",
                             description="a short name for a submitted source (default: `op`)")
    platform: str | None = Field(default=None, max_length=40, description="default: the server's platform")
    provider: str | None = Field(default=None, max_length=40, description="one of the server's providers "
                                 "(`GET /v1/info`); default: the first")
    model: str | None = Field(default=None, max_length=200, description="model name for `openai` jobs")
    trajectories: int | None = Field(default=None, ge=1, le=64, description="default: 2, or the server's most")
    turns: int | None = Field(default=None, ge=1, le=64, description="default: 4, or the server's most")
    strategy: str | None = Field(default=None, max_length=40, description="how the job's model calls are spent: "
                                 "`parallel` (the default), `evolution` or `tree` (`GET /v1/info` lists them)")
    patience: int = Field(default=2, ge=1, le=64)
    max_failures: int = Field(default=3, ge=1, le=64)
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)


class JobStatus(str, Enum):
    """Where a submitted job is."""

    queued = "queued"
    running = "running"
    finished = "finished"
    failed = "failed"
    interrupted = "interrupted"


class JobCreated(BaseModel):
    """What `POST /v1/optimize` answers."""

    job_id: str
    status: JobStatus
    task_id: str
    status_url: str
    page_url: str


class Progress(BaseModel):
    """How far a job is. `turns_done` of `turns_total` drives the progress bar (a trajectory that stopped early
    counts as done with all its turns); what really ran is `turns_run`, of at most `turns_total`."""

    trajectories: int
    trajectories_done: int
    turns_done: int = Field(description="for the bar: turns run, plus the turns each early-stopped trajectory "
                            "skipped")
    turns_total: int = Field(description="the most the job can take: trajectories x turns")
    turns_run: int = Field(default=0, description="turns that ran (model calls made), cached ones included")
    turns_cached: int = Field(default=0, description="turns whose kernel had been judged before: the stored "
                              "verdict was reused, nothing was timed again")
    stopped_early: int = Field(default=0, description="trajectories that ended before their last turn")
    stop_reasons: list[str] = Field(default_factory=list, description="why each ended trajectory stopped, as "
                                    "'trajectory N: reason'")
    evaluations: int
    fraction: float = Field(ge=0.0, le=1.0)


class KernelSummary(BaseModel):
    """A candidate kernel with its verdict."""

    kernel_id: int
    task_id: str
    platform: str
    status: str
    reason: str
    speedup: float | None = None
    speedup_ci: tuple[float, float] | None = None
    verified: bool = Field(description="correct, timed, and the 95% interval's lower end is above 1.0x")
    run_id: str | None = None
    url: str


class JobView(BaseModel):
    """`GET /v1/jobs/{id}`: an optimize run's status, progress and best kernel."""

    job_id: str
    status: JobStatus
    task_id: str | None
    platform: str | None
    provider: str | None
    model: str | None
    created_at: datetime
    finished_at: datetime | None
    queue_position: int | None = Field(default=None, description="jobs ahead of this one, while queued")
    progress: Progress
    message: str
    best: KernelSummary | None = Field(default=None, description="the fastest verified kernel, else the fastest "
                                       "correct one")
    best_source: str | None = None
    page_url: str


class EvaluationView(BaseModel):
    """One stored verdict on a kernel."""

    evaluation_id: int
    status: str
    reason: str
    stage: str
    message: str
    speedup: float | None = None
    speedup_ci: tuple[float, float] | None = None
    verified: bool = Field(default=False, description="correct, timed, and the 95% interval's lower end is above "
                           "1.0x")
    baseline_ms: float | None = None
    candidate_ms: float | None = None
    hardware: str
    harness_version: str
    jailed: bool = Field(default=True, description="false: judged without the OS jail (--unsafe-no-jail)")
    tolerance: str = Field(default="task", description="the correctness tolerance it used: task or kernelbench")
    created_at: datetime


class SweepPointView(BaseModel):
    """A kernel's verdict at one size of its shape sweep."""

    label: str
    sizes: dict[str, int]
    input_shapes: list[list[int] | None]
    status: str
    reason: str | None
    speedup: float | None
    speedup_ci: tuple[float, float] | None


class KernelView(BaseModel):
    """`GET /v1/kernels/{id}`: a kernel's source, every verdict on it, and its shape sweep."""

    kernel_id: int
    task_id: str
    platform: str
    source: str
    created_at: datetime
    run_id: str | None
    evaluations: list[EvaluationView]
    sweep: list[SweepPointView] = []
    envelope: list[str] = Field(default=[], description="where the kernel is verified, in words (from the sweep)")
    package_url: str | None = Field(default=None, description="the kernel as a pip-installable package, once swept")


class TaskView(BaseModel):
    """A task the service knows, with its best verified kernel per platform."""

    task_id: str
    name: str
    category: str
    level: int
    held_out: bool
    source_hash: str
    best: list[KernelSummary]
    url: str


class TaskList(BaseModel):
    """`GET /v1/tasks`."""

    total: int
    tasks: list[TaskView]


class LeaderboardEntry(BaseModel):
    """One ranked bench run."""

    rank: int
    run_id: str
    model: str
    provider: str
    platform: str
    hardware: str
    selection: str
    samples: int
    turns: int
    harness_versions: list[str]
    tolerance: str = Field(description="the correctness tolerance its verdicts used: task or kernelbench")
    rescored: bool
    status: str
    created_at: str
    metrics: GroupMetrics
    categories: list[str] = Field(default_factory=list, description="the task categories the run covers")
    url: str


class Leaderboard(BaseModel):
    """`GET /v1/leaderboard`: finished bench runs ranked by fast_1, then geomean, then correctness."""

    title: str
    split: str
    platform: str | None
    category: str | None
    model: str | None
    runs: list[LeaderboardEntry]


class ServiceInfo(BaseModel):
    """`GET /v1/info`: what a submitter may ask for."""

    version: str
    platform: str
    providers: list[str]
    strategies: list[str]
    max_trajectories: int
    max_turns: int
    max_body_bytes: int
    public_read: bool


class Problem(BaseModel):
    """Every error answer: what went wrong, in one readable message."""

    detail: str


class TurnView(BaseModel):
    """One turn of a trajectory: what the model did and the verdict on it."""

    index: int
    outcome: str | None
    model: str
    prompt_tokens: int | None
    completion_tokens: int | None
    latency_s: float | None
    kernel: KernelSummary | None
    message: str = Field(description="the verdict in words (trimmed compile error, mismatch, or speedup)")
    hardware: str | None = Field(default=None, description="the machine its verdict was measured on")
    node: str | None = Field(default=None, description="the cluster node (Ray node id, first 12 hex digits) whose "
                             "evaluator judged it")


class TrajectoryView(BaseModel):
    """One trajectory of a run."""

    index: int
    task_id: str
    status: str
    stop_reason: str | None
    max_turns: int | None = Field(default=None, description="the most turns it could take")
    stopped_early: bool = Field(default=False, description="it ended before its last turn (stop_reason says why)")
    turns_cached: int = Field(default=0, description="turns that reused a stored verdict")
    turns: list[TurnView]


class RunView(BaseModel):
    """`GET /v1/runs/{id}`: any stored run with each trajectory's turns and verdicts."""

    run_id: str
    kind: str
    status: str
    task_ids: list[str]
    platform: str | None
    provider: str | None
    model: str | None
    created_at: datetime
    finished_at: datetime | None
    trajectories: list[TrajectoryView]
    plots: list[str] = Field(description="names of the report's plots, at /runs/{id}/plots/{name} (bench runs)")
