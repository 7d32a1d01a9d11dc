"""What the API and the pages show, read from the store: every answer is built here once and both the JSON
endpoints and the HTML pages render it. Messages pass through `redact`; run configs are never returned
whole (they hold endpoints and paths), only the fields named here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import PurePath
from typing import Any, TypeVar

from kernelwright.agent.bench.config import Split
from kernelwright.agent.bench.ranking import ranked_runs
from kernelwright.agent.export.readme import envelope_lines
from kernelwright.agent.search import is_verified_speedup
from kernelwright.agent.summary import summarize_run
from kernelwright.agent.sweep import stored_envelope
from kernelwright.db import Store
from kernelwright.db.enums import RunKind, RunStatus, TurnOutcome
from kernelwright.db.rows import EvaluationRow, RunRow, TaskRow
from kernelwright.evaluator.result import EvalResult
from kernelwright.server.jobs import SERVICE_KEY, JobManager
from kernelwright.server.redact import redact
from kernelwright.server.schemas import (
    EvaluationView,
    JobStatus,
    JobView,
    KernelSummary,
    KernelView,
    Leaderboard,
    LeaderboardEntry,
    Progress,
    RunView,
    SweepPointView,
    TaskList,
    TaskView,
    TrajectoryView,
    TurnView,
)
from kernelwright.server.wording import for_http
from kernelwright.views.bench_plots import plot_names
from kernelwright.views.leaderboard import title
from kernelwright.views.numbers import with_interval

_T = TypeVar("_T")


class TTLCache:
    """Answers that are costly to compute (the leaderboard reads every evaluation of every bench run) are kept a
    few seconds, so a busy page does not recompute them on every request."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._items: dict[tuple[Any, ...], tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], compute: Callable[[], _T]) -> _T:
        """The cached value for `key`, computed when missing or stale."""
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = compute()
        with self._lock:
            self._items[key] = (now + self.ttl_s, value)
        return value


def _model_name(model: str | None) -> str | None:
    # `local:PATH` runs store a folder as their model: show its name only.
    return None if model is None else PurePath(model).name if "/" in model and model.startswith("/") else model


def kernel_summary(candidate_id: int, task_id: str, result: EvalResult, run_id: str | None = None) -> KernelSummary:
    """A kernel and its verdict, as the API lists it."""
    return KernelSummary(kernel_id=candidate_id, task_id=task_id, platform=result.platform,
                         status=result.status.value, reason=result.reason.value, speedup=result.speedup,
                         speedup_ci=result.speedup_ci, verified=is_verified_speedup(result), run_id=run_id,
                         url=f"/v1/kernels/{candidate_id}")


def verdict_text(result: EvalResult) -> str:
    """The verdict in one line."""
    if result.is_correct and result.speedup is not None and result.speedup_ci is not None:
        return f"correct, {with_interval(result.speedup, result.speedup_ci)} vs PyTorch eager"
    text = result.message.strip().splitlines()[0] if result.message.strip() else ""
    return redact(f"{result.status.value} ({result.reason.value})" + (f": {text}" if text else ""))


# --- jobs ---------------------------------------------------------------------------------------------------


def _job_status(run: RunRow, jobs: JobManager | None) -> tuple[JobStatus, int | None, str]:
    live = jobs.state(run.id) if jobs is not None else None
    if live is not None:
        state, position = live
        if state.queued:
            return JobStatus.queued, position, "waiting for a free slot"
        return JobStatus.running, None, state.phase
    if run.status is RunStatus.running:
        # Stored as running but no live search: the service that ran it stopped; it resumes on the next start.
        return JobStatus.interrupted, None, "stopped with the service; it resumes when the service starts again"
    return JobStatus(run.status.value), None, ""


def job_view(store: Store, jobs: JobManager | None, run: RunRow) -> JobView:
    """An optimize run as a job: status, progress, and the best kernel with its source."""
    config = run.config or {}
    optimize = config.get("optimize") or {}
    search = optimize.get("search") or {}
    provider = optimize.get("provider") or {}
    summary = summarize_run(store, run.id)
    trajectories = int(search.get("trajectories") or summary.trajectories or 0)
    max_turns = int(search.get("turns") or 0)
    done_turns = ran = cached = traj_done = early = 0
    reasons: list[str] = []
    for traj in store.trajectories_for_run(run.id):
        rows = store.turns_for_trajectory(traj.id)
        turns = len(rows)
        ran += turns
        cached += sum(row.outcome is TurnOutcome.cached for row in rows)
        if traj.status is RunStatus.finished:
            traj_done += 1
            done_turns += max(turns, max_turns)  # a trajectory that stopped early is done
            early += turns < max_turns
            if traj.stop_reason:
                reasons.append(f"trajectory {traj.index}: {traj.stop_reason}")
        else:
            done_turns += turns
    total = max(1, trajectories * max_turns)
    status, position, phase = _job_status(run, jobs)
    best = summary.answer or summary.best_correct
    error = (config.get(SERVICE_KEY) or {}).get("error") if isinstance(config.get(SERVICE_KEY), dict) else None
    if status in (JobStatus.finished, JobStatus.failed):
        message = redact(error) if error else summary.message
    else:
        message = phase
    return JobView(
        job_id=run.id, status=status, task_id=config.get("task_id"), platform=optimize.get("platform"),
        provider=str(provider.get("name")) if provider else None, model=_model_name(provider.get("model")),
        created_at=run.created_at, finished_at=run.finished_at, queue_position=position,
        progress=Progress(trajectories=trajectories, trajectories_done=traj_done,
                          turns_done=min(done_turns, total), turns_total=total, turns_run=ran, turns_cached=cached,
                          stopped_early=early, stop_reasons=[redact(r) for r in reasons],
                          evaluations=summary.evaluated,
                          fraction=1.0 if status is JobStatus.finished else min(1.0, done_turns / total)),
        message=redact(for_http(message)),
        best=None if best is None else kernel_summary(best.candidate_id, summary.task_id or "", best.result, run.id),
        best_source=None if best is None else best.source,
        page_url=f"/runs/{run.id}")


def recent_jobs(store: Store, jobs: JobManager | None, limit: int = 20) -> list[JobView]:
    """The newest optimize runs as jobs."""
    return [job_view(store, jobs, run) for run in store.list_runs(kind=RunKind.optimize, limit=limit)]


# --- runs ---------------------------------------------------------------------------------------------------


def run_view(store: Store, run: RunRow) -> RunView:
    """Any run with each trajectory's turns and verdicts."""
    config = run.config or {}
    optimize = config.get("optimize") or {}
    bench = config.get("bench") or {}
    provider = optimize.get("provider") or bench.get("provider") or {}
    max_turns = (optimize.get("search") or bench.get("search") or {}).get("turns")
    trajectories: list[TrajectoryView] = []
    for traj in store.trajectories_for_run(run.id):
        turns: list[TurnView] = []
        for turn in store.turns_for_trajectory(traj.id):
            kernel, message, hardware, node = None, "", None, None
            if turn.evaluation_id is not None and turn.candidate_id is not None:
                row = store.get_evaluation(turn.evaluation_id)
                if row is not None:
                    kernel = kernel_summary(turn.candidate_id, traj.task_id, row.result, run.id)
                    message = verdict_text(row.result)
                    hardware, node = row.result.hardware or None, (row.node_id or "")[:12] or None
            elif turn.outcome is not None:
                message = turn.outcome.value.replace("_", " ")
            turns.append(TurnView(index=turn.index, outcome=turn.outcome.value if turn.outcome else None,
                                  model=_model_name(turn.model) or "", prompt_tokens=turn.prompt_tokens,
                                  completion_tokens=turn.completion_tokens, latency_s=turn.latency_s, kernel=kernel,
                                  message=message, hardware=hardware, node=node))
        ended = traj.status is RunStatus.finished
        trajectories.append(TrajectoryView(index=traj.index, task_id=traj.task_id, status=traj.status.value,
                                           stop_reason=traj.stop_reason, max_turns=max_turns,
                                           stopped_early=ended and max_turns is not None and len(turns) < max_turns,
                                           turns_cached=sum(t.outcome == TurnOutcome.cached.value for t in turns),
                                           turns=turns))
    task_ids = sorted({t.task_id for t in trajectories}) or ([config["task_id"]] if config.get("task_id") else [])
    return RunView(run_id=run.id, kind=run.kind.value, status=run.status.value, task_ids=task_ids,
                   platform=optimize.get("platform") or bench.get("platform"),
                   provider=str(provider.get("name")) if provider else None,
                   model=_model_name(provider.get("model")), created_at=run.created_at,
                   finished_at=run.finished_at, trajectories=trajectories,
                   plots=plot_names(max_turns) if run.kind is RunKind.bench else [])


# --- kernels ------------------------------------------------------------------------------------------------


def _evaluation_view(row: EvaluationRow) -> EvaluationView:
    r = row.result
    return EvaluationView(evaluation_id=row.id, status=r.status.value, reason=r.reason.value, stage=r.stage.value,
                          message=redact(r.message), speedup=r.speedup, speedup_ci=r.speedup_ci,
                          verified=is_verified_speedup(r),
                          baseline_ms=r.baseline_ms, candidate_ms=r.candidate_ms, hardware=r.hardware,
                          harness_version=r.harness_version, jailed=r.jailed, tolerance=r.tolerance.value,
                          created_at=row.created_at)


def kernel_view(store: Store, candidate_id: int) -> KernelView | None:
    """A kernel's source and every verdict on it, oldest first."""
    candidate = store.get_candidate(candidate_id)
    if candidate is None:
        return None
    evaluations = [row for row in store.evaluations_for_task(candidate.task_id, candidate.platform)
                   if row.candidate_id == candidate_id]
    envelope = stored_envelope(store, candidate_id, candidate.platform)
    sweep = [SweepPointView(label=p.label, sizes=p.constants, input_shapes=p.input_shapes, status=p.status.value,
                            reason=p.reason, speedup=p.speedup, speedup_ci=p.speedup_ci) for p in envelope.points]
    return KernelView(kernel_id=candidate.id, task_id=candidate.task_id, platform=candidate.platform,
                      source=candidate.source, created_at=candidate.created_at,
                      run_id=store.run_for_candidate(candidate_id),
                      evaluations=[_evaluation_view(row) for row in evaluations], sweep=sweep,
                      envelope=envelope_lines(envelope) if sweep else [],
                      package_url=f"/v1/kernels/{candidate_id}/package" if sweep and not envelope.empty else None)


# --- tasks --------------------------------------------------------------------------------------------------


def best_kernels(store: Store, task: TaskRow, limit: int | None = 1) -> list[KernelSummary]:
    """The fastest correct, timed kernels of the task's current version, per platform (`limit` each)."""
    by_platform: dict[str, list[EvaluationRow]] = {}
    for row in store.evaluations_for_task(task.id):
        r = row.result
        if r.is_correct and r.speedup is not None and r.task_hash == task.source_hash:
            by_platform.setdefault(r.platform, []).append(row)
    out: list[KernelSummary] = []
    for platform in sorted(by_platform):
        rows = sorted(by_platform[platform], key=lambda e: (-(e.result.speedup or 0.0), e.id))
        seen: set[int] = set()
        for row in rows:
            if row.candidate_id in seen:
                continue
            seen.add(row.candidate_id)
            out.append(kernel_summary(row.candidate_id, task.id, row.result))
            if limit is not None and len(seen) >= limit:
                break
    return out


def task_view(store: Store, task: TaskRow, limit: int | None = 1) -> TaskView:
    """A stored task with its best kernels per platform."""
    return TaskView(task_id=task.id, name=task.name, category=task.category, level=task.level,
                    held_out=task.held_out, source_hash=task.source_hash, best=best_kernels(store, task, limit),
                    url=f"/tasks/{task.id}")


def task_list(store: Store, category: str | None, offset: int, limit: int) -> TaskList:
    """Stored tasks by id, one page of them."""
    rows = [t for t in store.list_tasks() if category is None or t.category == category]
    return TaskList(total=len(rows), tasks=[task_view(store, t) for t in rows[offset:offset + limit]])


# --- leaderboard --------------------------------------------------------------------------------------------


def leaderboard(store: Store, split: Split, platform: str | None, category: str | None, model: str | None,
                include_unfinished: bool = False) -> Leaderboard:
    """The ranked leaderboard for a split, optionally one platform, category and model."""
    runs = ranked_runs(store, split, platform, category, model, include_unfinished)
    entries: list[LeaderboardEntry] = []
    for run in runs:
        metrics = run.by_category[category] if category else run.overall
        entries.append(LeaderboardEntry(
            rank=len(entries) + 1, run_id=run.run_id, model=_model_name(run.model) or "", provider=run.provider,
            platform=run.platform, hardware=run.hardware, selection=run.selection, samples=run.samples,
            turns=run.turns, harness_versions=run.harness_versions, tolerance=run.tolerance.value,
            rescored=run.rescored, status=run.status.value,
            created_at=run.created_at, metrics=metrics, categories=sorted(run.by_category),
            url=f"/runs/{run.run_id}"))
    return Leaderboard(title=title(split.label, platform, category), split=split.value, platform=platform,
                       category=category, model=model, runs=entries)
