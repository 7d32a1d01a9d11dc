"""The web pages: the leaderboard with recent jobs, run, task and kernel pages, and a bench run's plots.

Server-rendered HTML (Jinja2, autoescaped, and every value cleaned of control and bidi characters as it is
written: `_shown`) over the same `queries` the JSON API answers with, one small
stylesheet and one small script from `/static`, nothing from elsewhere: the service's CSP allows only its own
scripts, styles and images, so templates carry no inline script, style or `style=` attribute. Every page works
without JavaScript; the script adds column sorting, filters that apply on change, and the reload of a page
whose job is still running.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import jinja2
import markupsafe
from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from kernelwright.agent.bench.config import Split
from kernelwright.db.enums import RunKind
from kernelwright.db.rows import ApiTokenRow
from kernelwright.server import queries
from kernelwright.server.schemas import JobStatus, KernelSummary, Leaderboard, TaskView
from kernelwright.server.state import ServiceState, service
from kernelwright.tasks.model import Category
from kernelwright.views import numbers
from kernelwright.views.bench_plots import BENCH_PLOTS
from kernelwright.views.safe_text import clean

if TYPE_CHECKING:
    from kernelwright.agent.bench.metrics import RunMetrics

HERE = Path(__file__).parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"

# How many runs the leaderboard page lists as recent jobs, and tasks per page of the task list.
RECENT_JOBS = 15
TASKS_PER_PAGE = 100
# A run with more trajectories than this shows them collapsed, so its page stays readable.
OPEN_TRAJECTORIES = 12
# The bench command an empty leaderboard suggests.
BENCH_HINT = "kernelwright bench --suite smoke --provider examples"
# Statuses a page keeps itself current for.
LIVE_STATUSES = (JobStatus.queued.value, JobStatus.running.value)

State = Annotated[ServiceState, Depends(service)]


def _reader(request: Request, state: State) -> ApiTokenRow | None:
    # Pages follow the API's read rules: public unless the service was started with private reads.
    return state.access.read(request)


Reader = Annotated[ApiTokenRow | None, Depends(_reader)]

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


# --- formatting (Jinja filters) -----------------------------------------------------------------------------


def pct(value: float | None) -> str:
    """A share as a whole percentage; "-" when there is none."""
    return "-" if value is None else f"{100 * value:.0f}%"


def times(value: float | None) -> str:
    """A speedup as "1.23x" ("1.004x" near 1: never rounded onto or across 1.00x); "-" when there is none."""
    return numbers.times(value)


def interval(ci: tuple[float, float] | None) -> str:
    """A 95% interval as "[lo, hi]"; empty when there is none."""
    return numbers.bounds(ci)


def when(value: datetime | None) -> str:
    """A stored time, in UTC to the second; "-" when there is none."""
    if value is None:
        return "-"
    if value.tzinfo is None:  # SQLite hands back naive datetimes; the store writes UTC
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def kernel_url(kernel: KernelSummary) -> str:
    """The kernel's page (the summary's `url` is its API address)."""
    return f"/kernels/{kernel.kernel_id}"


def _shown(value: object) -> object:
    """Every `{{ value }}` of every template, before autoescape: a string (a candidate's message, a task id from
    an imported file, a kernel's source) loses its control and format characters, so that bidi overrides cannot
    reorder what a reader sees; markup a macro made (its values already passed here) is left as it is."""
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return clean(value)
    return value


def _environment() -> jinja2.Environment:
    # Autoescape for every template, whatever its name: no page marks text from the store as safe.
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True, finalize=_shown,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(pct=pct, times=times, interval=interval, when=when, kernel_url=kernel_url)
    env.globals.update(bench_hint=BENCH_HINT, live_statuses=LIVE_STATUSES)
    return env


templates = Jinja2Templates(env=_environment())


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    # `nav` marks the header link of the current section; pages outside the sections mark none.
    return templates.TemplateResponse(request, name, {"nav": "", **context}, status_code=status_code)


def _not_found(request: Request, what: str) -> HTMLResponse:
    return _page(request, "error.html", {"title": "Not found", "status": 404, "message": f"There is no {what}."},
                 status_code=404)


def _blank(value: str | None) -> str | None:
    # A filter form sends "" for "any".
    return (value.strip() or None) if value is not None else None


# --- leaderboard --------------------------------------------------------------------------------------------


@router.get("/")
def leaderboard_page(request: Request, state: State, _reader: Reader, split: Split = Split.all,
                     platform: Annotated[str | None, Query(max_length=40)] = None,
                     category: Annotated[str | None, Query(max_length=40)] = None,
                     model: Annotated[str | None, Query(max_length=200)] = None,
                     include_unfinished: bool = False) -> HTMLResponse:
    """Bench runs ranked (sortable, filterable), then the newest optimize jobs."""
    platform, category, model = _blank(platform), _blank(category), _blank(model)

    def board(s: Split, p: str | None, c: str | None, m: str | None) -> Leaderboard:
        # The API's cache key, so the page and `GET /v1/leaderboard` share one computation.
        key = ("leaderboard", s, p, c, m, include_unfinished)
        return state.cache.get(key, lambda: queries.leaderboard(state.store, s, p, c, m, include_unfinished))

    shown = board(split, platform, category, model)
    # The filters offer what the unfiltered board holds (the chosen value stays offered even if it matches none).
    every = board(Split.all, None, None, None).runs
    options = {
        "split": [(s.value, s.label) for s in Split],
        "platform": sorted({e.platform for e in every} | ({platform} if platform else set())),
        "category": sorted({c for e in every for c in e.categories} | ({category} if category else set())),
        "model": sorted({e.model for e in every} | ({model} if model else set())),
    }
    jobs = state.cache.get(("recent-jobs", RECENT_JOBS),
                           lambda: queries.recent_jobs(state.store, state.jobs, RECENT_JOBS))
    filtered = bool(platform or category or model or split is not Split.all or include_unfinished)
    return _page(request, "leaderboard.html", {
        "title": "Leaderboard", "nav": "leaderboard", "board": shown, "options": options, "filtered": filtered,
        "chosen": {"split": split.value, "platform": platform or "", "category": category or "",
                   "model": model or "", "include_unfinished": include_unfinished},
        "jobs": jobs})


# --- runs ---------------------------------------------------------------------------------------------------


@router.get("/runs/{run_id}")
def run_page(run_id: str, request: Request, state: State, _reader: Reader) -> HTMLResponse:
    """A run: what it is, its job's progress and best kernel (optimize), its turns and verdicts, its plots."""
    run = state.store.get_run(run_id)
    if run is None:
        return _not_found(request, f"run {run_id!r}")
    view = queries.run_view(state.store, run)
    job = queries.job_view(state.store, state.jobs, run) if run.kind is RunKind.optimize else None
    status = job.status.value if job is not None else view.status
    poll: dict[str, str] | None = None
    if status in LIVE_STATUSES:
        # The script polls the JSON twin of this page and reloads when this key changes (same formula in kw.js).
        if job is not None:
            poll = {"url": f"/v1/jobs/{run.id}", "kind": "job", "key": f"{status}|{job.progress.turns_done}"}
        else:
            turns = sum(len(t.turns) for t in view.trajectories)
            poll = {"url": f"/v1/runs/{run.id}", "kind": "run", "key": f"{status}|{turns}"}
    metrics, note = None, None
    if run.kind is RunKind.bench and view.trajectories:
        # The numbers `kernelwright report` gives (fast_p, geomean, pass@1), overall and per category.
        from kernelwright.agent.bench.metrics import run_metrics

        metrics = state.cache.get(("metrics", run.id), lambda: run_metrics(state.store, run.id))
        note = numbers.unverified_fast_1(metrics)
    return _page(request, "run.html", {
        "title": f"{view.kind.capitalize()} run {view.run_id}", "run": view, "job": job, "metrics": metrics,
        "fast_1_note": note,
        "status": status, "poll": poll, "plots": view.plots if view.trajectories else [],
        "open_trajectories": len(view.trajectories) <= OPEN_TRAJECTORIES})


# pyplot keeps global state, and handlers run in a thread pool: one figure is drawn at a time.
_PLOT_LOCK = threading.Lock()


def _plot_png(state: ServiceState, run_id: str, name: str) -> bytes:
    # Imported here: matplotlib is slow to import and only plots need it.
    from kernelwright.agent.bench.metrics import run_metrics
    from kernelwright.views.report import plot_fast_p, plot_speedup_by_category, plot_speedup_vs_turn

    plotters: dict[str, Callable[[RunMetrics, Path], None]] = {
        "speedup_by_category.png": plot_speedup_by_category, "fast_p.png": plot_fast_p,
        "speedup_vs_turn.png": plot_speedup_vs_turn}
    metrics = run_metrics(state.store, run_id)
    with _PLOT_LOCK, tempfile.TemporaryDirectory(prefix="kw-plot-") as folder:
        path = Path(folder) / name
        plotters[name](metrics, path)
        return path.read_bytes()


@router.get("/runs/{run_id}/plots/{name}", response_class=Response)
def run_plot(run_id: str, name: str, request: Request, state: State, _reader: Reader) -> Response:
    """One of a bench run's report plots as PNG (the ones `kernelwright report` writes)."""
    run = state.store.get_run(run_id)
    if run is None or run.kind is not RunKind.bench or name not in BENCH_PLOTS:
        return _not_found(request, f"plot {name!r} of a bench run {run_id!r}")
    png = state.cache.get(("plot", run_id, name), lambda: _plot_png(state, run_id, name))
    # A finished run's plots change only when it is re-scored.
    cache = "private, max-age=60" if run.finished_at is not None else "no-cache"
    return Response(png, media_type="image/png", headers={"cache-control": cache})


# --- tasks --------------------------------------------------------------------------------------------------


@router.get("/tasks")
def tasks_page(request: Request, state: State, _reader: Reader,
               category: Annotated[str | None, Query(max_length=40)] = None,
               offset: Annotated[int, Query(ge=0)] = 0) -> HTMLResponse:
    """Stored tasks with the best speedup of each on each platform, a page at a time."""
    category = _blank(category)
    listing = state.cache.get(("tasks", category, offset, TASKS_PER_PAGE),
                              lambda: queries.task_list(state.store, category, offset, TASKS_PER_PAGE))
    platforms = sorted({k.platform for t in listing.tasks for k in t.best})
    best = {t.task_id: {k.platform: k for k in t.best} for t in listing.tasks}
    return _page(request, "tasks.html", {
        "title": "Tasks", "nav": "tasks", "listing": listing, "platforms": platforms, "best": best,
        "categories": [c.value for c in Category], "category": category or "", "offset": offset,
        "per_page": TASKS_PER_PAGE})


@router.get("/tasks/{task_id:path}")
def task_page(task_id: str, request: Request, state: State, _reader: Reader) -> HTMLResponse:
    """A task and its five fastest correct kernels per platform, with their code."""
    row = state.store.get_task(task_id)
    if row is None:
        return _not_found(request, f"task {task_id!r}")

    def compute() -> tuple[TaskView, dict[int, str]]:
        view = queries.task_view(state.store, row, limit=5)
        sources = {k.kernel_id: c.source for k in view.best
                   if (c := state.store.get_candidate(k.kernel_id)) is not None}
        return view, sources

    view, sources = state.cache.get(("task-page", task_id), compute)
    by_platform: dict[str, list[KernelSummary]] = {}
    for kernel in view.best:
        by_platform.setdefault(kernel.platform, []).append(kernel)
    return _page(request, "task.html", {"title": f"Task {view.task_id}", "nav": "tasks", "task": view,
                                        "by_platform": by_platform, "sources": sources})


# --- kernels ------------------------------------------------------------------------------------------------


@router.get("/kernels/{kernel_id}")
def kernel_page(kernel_id: str, request: Request, state: State, _reader: Reader) -> HTMLResponse:
    """A kernel's code and every verdict on it."""
    # Ids are 64-bit integers: anything else names no kernel (and must not reach the database as a number).
    view = queries.kernel_view(state.store, int(kernel_id)) if kernel_id.isdigit() and len(kernel_id) < 19 \
        else None
    if view is None:
        return _not_found(request, f"kernel {kernel_id!r}")
    return _page(request, "kernel.html", {"title": f"Kernel {view.kernel_id}", "kernel": view})


# --- errors -------------------------------------------------------------------------------------------------


async def _http_error(request: Request, exc: Exception) -> Response:
    """Errors of pages as HTML pages; the API and the static files keep their JSON answers."""
    assert isinstance(exc, StarletteHTTPException)
    if request.url.path.startswith(("/v1/", "/static/")):
        return await http_exception_handler(request, exc)
    titles = {401: "Sign in needed", 404: "Not found", 405: "Not allowed", 429: "Too many requests"}
    message = f"There is no page at {request.url.path}." if exc.status_code == 404 else str(exc.detail)
    response = _page(request, "error.html", {"title": titles.get(exc.status_code, "Error"),
                                             "status": exc.status_code, "message": message},
                     status_code=exc.status_code)
    response.headers.update(exc.headers or {})  # e.g. the Basic challenge that lets a browser sign in
    return response


def mount(app: FastAPI) -> None:
    """Add the pages, their static files and their HTML error pages to `app`."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_exception_handler(StarletteHTTPException, _http_error)
