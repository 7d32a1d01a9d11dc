"""The JSON API under `/v1`. Handlers are plain functions: FastAPI runs them in its thread pool, so store reads
and the sandboxed check of a submitted operator never block the event loop."""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status

from kernelwright.agent.bench.config import Split
from kernelwright.agent.export.collect import package_archive
from kernelwright.agent.export.sources import ExportError
from kernelwright.agent.providers import MissingApiKey, ProviderConfig, ProviderError
from kernelwright.agent.runner import OptimizeConfig
from kernelwright.agent.search import SearchConfig
from kernelwright.agent.strategies import DEFAULT_STRATEGY, strategy_names
from kernelwright.agent.sweep import SweepError
from kernelwright.db.models import RunKind
from kernelwright.db.rows import ApiTokenRow
from kernelwright.evaluator import EvalOptions, probe
from kernelwright.server import queries
from kernelwright.server.jobs import JobCapReached
from kernelwright.server.redact import redact
from kernelwright.server.schemas import (
    JobCreated,
    JobStatus,
    JobView,
    KernelView,
    Leaderboard,
    OptimizeRequest,
    Problem,
    RunView,
    ServiceInfo,
    TaskList,
    TaskView,
)
from kernelwright.server.state import PROBE_WAIT_S, ServiceState, service
from kernelwright.server.wording import for_http, no_key_advice
from kernelwright.tasks.errors import TaskLoadError
from kernelwright.tasks.hashing import sha256_text
from kernelwright.tasks.loader import parse_task
from kernelwright.tasks.model import Task
from kernelwright.tasks.registry import resolve_task

# Suite and imported ids only: never a path on the server.
_TASK_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$")

DEFAULT_TRAJECTORIES, DEFAULT_TURNS = 2, 4
# Ids are signed 64-bit in the store: a larger number names nothing and must not reach the database.
MAX_ID = 2**63 - 1

# The error answers every endpoint can give, so the OpenAPI schema lists them.
_READ_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "reads need a token on this service, or the token is bad"},
    422: {"model": Problem, "description": "a parameter is not valid"},
    429: {"model": Problem, "description": "the token's rate limit was reached"},
}

router = APIRouter(prefix="/v1", tags=["v1"], responses=_READ_ERRORS)

State = Annotated[ServiceState, Depends(service)]


def _reader(request: Request, state: State) -> ApiTokenRow | None:
    return state.access.read(request)


def _submitter(request: Request, state: State) -> ApiTokenRow:
    return state.access.require_token(request)


Reader = Annotated[ApiTokenRow | None, Depends(_reader)]
Submitter = Annotated[ApiTokenRow, Depends(_submitter)]


def _unprocessable(message: str) -> HTTPException:
    # Messages written for the command line name the API's fields here (wording.py).
    return HTTPException(422, redact(for_http(message)))


def _busy(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, detail, headers={"Retry-After": "30"})


def _package_version() -> str:
    try:
        return version("kernelwright")
    except PackageNotFoundError:
        return "unknown"


@router.get("/info", response_model=ServiceInfo, summary="What this service offers")
def info(state: State, _reader: Reader) -> ServiceInfo:
    """The platform jobs run on, the providers a submitter may pick and the service's limits."""
    s = state.settings
    return ServiceInfo(version=_package_version(), platform=s.platform, providers=s.providers,
                       strategies=strategy_names(), max_trajectories=s.max_trajectories, max_turns=s.max_turns,
                       max_body_bytes=s.max_body_bytes, public_read=s.public_read)


def _task_for(body: OptimizeRequest, state: State) -> Task:
    if (body.source is None) == (body.task_id is None):
        raise _unprocessable("give the operator's `source` or a suite `task_id` (one of them)")
    if body.task_id is not None:
        if not _TASK_ID.match(body.task_id) or ".." in body.task_id or body.task_id.endswith(".py"):
            raise _unprocessable(f"{body.task_id!r} is not a task id (see GET /v1/tasks)")
        try:
            task = resolve_task(body.task_id)
        except TaskLoadError as exc:
            raise _unprocessable(str(exc)) from exc
        origin = task.id
    else:
        name = body.name or "op"
        origin, source = f"{name}.py", body.source or ""
        try:
            task = parse_task(source, origin, task_id=f"user/{name}-{sha256_text(source)[:8]}")
        except TaskLoadError as exc:
            raise _unprocessable(str(exc)) from exc
    # The task's code runs only in the jail (a submitted operator is a stranger's code), a few at a time.
    if not state.probes.acquire(timeout=PROBE_WAIT_S):
        raise _busy("the service is checking other operators; try again shortly")
    try:
        result = probe(task, state.settings.platform)
    finally:
        state.probes.release()
    if not result.ok:
        raise _unprocessable(f"{origin}: {result.problem}")
    return task.model_copy(update={"input_groups": result.input_groups})


@router.post("/optimize", status_code=status.HTTP_202_ACCEPTED, response_model=JobCreated,
             summary="Submit an operator to optimize",
             responses={401: {"model": Problem, "description": "no API token, or a bad one"},
                        413: {"model": Problem, "description": "the request body is too large"},
                        422: {"model": Problem, "description": "the operator or an option is not valid; the "
                              "message is the evaluator's"},
                        429: {"model": Problem, "description": "rate limit, or too many unfinished jobs"}})
def submit(body: OptimizeRequest, state: State, token: Submitter) -> JobCreated:
    """Check the operator (in the sandbox), store a run and queue it; watch it at `status_url` or `page_url`."""
    s = state.settings
    platform = body.platform or s.platform
    if platform != s.platform:
        raise _unprocessable(f"this service evaluates on {s.platform!r}, not {platform!r}")
    provider = body.provider or s.providers[0]
    if provider not in s.providers:
        raise _unprocessable(f"provider {provider!r} is not offered here; choose one of: {', '.join(s.providers)}")
    trajectories = body.trajectories or min(DEFAULT_TRAJECTORIES, s.max_trajectories)
    turns = body.turns or min(DEFAULT_TURNS, s.max_turns)
    strategy = body.strategy or DEFAULT_STRATEGY
    if strategy not in strategy_names():
        raise _unprocessable(f"strategy {strategy!r} is not one of: {', '.join(strategy_names())}")
    if trajectories > s.max_trajectories or turns > s.max_turns:
        raise _unprocessable(f"this service allows at most {s.max_trajectories} trajectories x {s.max_turns} "
                             "turns")
    try:
        with state.jobs.reserve(token.name, s.max_queued_per_token):
            task = _task_for(body, state)
            # The endpoint and key are the server's own: a submitter never points the service at another URL.
            llm = ProviderConfig(name=provider, model=body.model or s.model, base_url=s.base_url,
                                 api_key_env=s.api_key_env, temperature=body.temperature)
            config = OptimizeConfig(task_source=task.source, task_origin=task.id, task_id=task.id,
                                    platform=platform, provider=llm,
                                    search=SearchConfig(strategy=strategy, trajectories=trajectories, turns=turns,
                                                        patience=body.patience, max_failures=body.max_failures),
                                    eval=EvalOptions())
            job_id = state.jobs.submit(config, task, token.name)
    except JobCapReached as exc:
        raise _busy(f"token {exc}") from exc
    except MissingApiKey as exc:
        raise _unprocessable(no_key_advice(exc, s.providers, suite_task=body.task_id is not None)) from exc
    except ProviderError as exc:
        raise _unprocessable(str(exc)) from exc
    return JobCreated(job_id=job_id, status=JobStatus.queued, task_id=task.id, status_url=f"/v1/jobs/{job_id}",
                      page_url=f"/runs/{job_id}")


@router.get("/jobs", response_model=list[JobView], summary="Recent jobs")
def list_jobs(state: State, _reader: Reader, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> list[JobView]:
    """The newest optimize runs, as jobs."""
    return queries.recent_jobs(state.store, state.jobs, limit)


@router.get("/jobs/{job_id}", response_model=JobView, summary="A job's status, progress and best kernel",
            responses={404: {"model": Problem, "description": "no such job"}})
def get_job(job_id: str, state: State, _reader: Reader) -> JobView:
    """Poll this until `status` is `finished`; `best_source` is then the kernel to use."""
    run = state.store.get_run(job_id)
    if run is None or run.kind is not RunKind.optimize:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no job {job_id!r}")
    return queries.job_view(state.store, state.jobs, run)


@router.get("/runs/{run_id}", response_model=RunView, summary="A run's trajectories, turns and verdicts",
            responses={404: {"model": Problem, "description": "no such run"}})
def get_run(run_id: str, state: State, _reader: Reader) -> RunView:
    """Any stored run (optimize, bench, rescore, training rollouts)."""
    run = state.store.get_run(run_id)
    if run is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no run {run_id!r}")
    return queries.run_view(state.store, run)


@router.get("/leaderboard", response_model=Leaderboard, summary="Bench runs ranked")
def get_leaderboard(state: State, _reader: Reader, split: Split = Split.all,
                    platform: Annotated[str | None, Query(max_length=40)] = None,
                    category: Annotated[str | None, Query(max_length=40)] = None,
                    model: Annotated[str | None, Query(max_length=200)] = None,
                    include_unfinished: bool = False) -> Leaderboard:
    """Finished bench runs by fast_1, then geometric-mean speedup, then correctness (recomputed every few
    seconds at most)."""
    key = ("leaderboard", split, platform, category, model, include_unfinished)
    return state.cache.get(key, lambda: queries.leaderboard(state.store, split, platform, category, model,
                                                            include_unfinished))


@router.get("/kernels/{kernel_id}", response_model=KernelView, summary="A kernel's source and verdicts",
            responses={404: {"model": Problem, "description": "no such kernel"}})
def get_kernel(kernel_id: Annotated[int, Path(ge=1, le=MAX_ID)], state: State, _reader: Reader) -> KernelView:
    """The candidate's source and every stored evaluation of it."""
    view = queries.kernel_view(state.store, kernel_id)
    if view is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no kernel {kernel_id}")
    return view


@router.get("/kernels/{kernel_id}/package", summary="The kernel as a pip-installable package (.tar.gz)",
            response_class=Response,
            responses={200: {"content": {"application/gzip": {}}, "description": "the package folder, archived"},
                       404: {"model": Problem, "description": "no such kernel"},
                       409: {"model": Problem, "description": "the kernel cannot be exported yet (never swept, "
                             "or no sweep point passed)"}})
def get_kernel_package(kernel_id: Annotated[int, Path(ge=1, le=MAX_ID)], state: State, _reader: Reader) -> Response:
    """The export of `kernelwright export KERNEL_ID` as an archive: a custom-op package with dispatch and fallback,
    made from the kernel's stored sweep (install it with `pip install --no-build-isolation`)."""
    if state.store.get_candidate(kernel_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no kernel {kernel_id}")
    try:
        name, data = package_archive(state.store, kernel_id)
    except (ExportError, SweepError) as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return Response(data, media_type="application/gzip",
                     headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/tasks", response_model=TaskList, summary="Tasks the service has seen, with their best kernels")
def list_tasks(state: State, _reader: Reader, category: Annotated[str | None, Query(max_length=40)] = None,
               offset: Annotated[int, Query(ge=0)] = 0,
               limit: Annotated[int, Query(ge=1, le=500)] = 100) -> TaskList:
    """Stored tasks by id, with the fastest correct kernel of each on each platform."""
    key = ("tasks", category, offset, limit)
    return state.cache.get(key, lambda: queries.task_list(state.store, category, offset, limit))


@router.get("/tasks/{task_id:path}", response_model=TaskView, summary="One task and its best kernels",
            responses={404: {"model": Problem, "description": "no such task"}})
def get_task(task_id: str, state: State, _reader: Reader) -> TaskView:
    """A stored task with its five fastest correct kernels per platform."""
    row = state.store.get_task(task_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no task {task_id!r}")
    return queries.task_view(state.store, row, limit=5)
