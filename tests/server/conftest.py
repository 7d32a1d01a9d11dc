"""Fixtures for the service tests.

Pages (owned by the pages change; the API tests add their own fixtures below these):
- `seeded` / `seeded_db_url`: a temporary SQLite store filled through the Store API with three finished bench
  runs over real suite tasks (trajectories, turns, candidates, evaluations, a compile baseline), a finished
  optimize run and a still running bench run. Session-wide: tests read it and never change what it holds.
- `server_env`: the environment the app's Ray needs (auth off, a short private temp dir), checked for leftover
  Ray processes at the end.
- `live_server`: the real app served by uvicorn in a background thread on a free port over `seeded_db_url`,
  per module (its Ray goes with it).
- `browser`: headless Chromium driven by selenium, from Debian's `chromium` and `chromium-driver` packages.
- `artifacts_dir`: where browser tests keep their screenshots (`KERNELWRIGHT_TEST_ARTIFACTS`, default
  `test-artifacts/` in the repository).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kernelwright.agent.bench.config import BenchConfig, BenchTask, Split
from kernelwright.agent.providers import ProviderConfig
from kernelwright.agent.runner import OptimizeConfig
from kernelwright.agent.search import SearchConfig
from kernelwright.db import Store
from kernelwright.db.enums import BaselineKind, RunKind, RunStatus, TurnOutcome
from kernelwright.evaluator import HARNESS_VERSION
from kernelwright.evaluator.result import EvalResult, Reason, Stage, Status
from kernelwright.tasks.loader import SUITE_DIR, load_task
from kernelwright.tasks.model import Task

REPO_ROOT = Path(__file__).resolve().parents[2]
INSTALL_BROWSER = REPO_ROOT / "scripts" / "install_test_browser.sh"
# A build error as the compiler reports it: the server path in it must never reach a page.
BUILD_ERROR = "/tmp/kw-build-1a2b3c/main.cpp:12:5: error: 'relu_fast' was not declared in this scope"
# Kernel text that would run if a page forgot to escape it.
SCRIPT_MARK = "<script>alert('kw-escape')</script>"
SERVER_START_S = 120.0


@dataclass(frozen=True)
class Seeded:
    """What the seeded store holds, for tests to look for."""

    url: str
    root: Path  # the temporary folder of the SQLite file: no page may show it
    bench_runs: dict[str, str]  # model -> its finished bench run, best ranked first
    running_bench_run: str
    optimize_run: str
    kernels: dict[str, int]  # "script" (source with `script_mark`, failed to build), "fast" (verified 3.1x)
    task_ids: list[str]
    script_mark: str = SCRIPT_MARK


def _result(task: Task, platform: str, hardware: str, speedup: float | None = None,
            ci: tuple[float, float] | None = None, status: Status = Status.correct, reason: Reason = Reason.ok,
            stage: Stage = Stage.done, message: str = "") -> EvalResult:
    return EvalResult(status=status, reason=reason, stage=stage, message=message, speedup=speedup, speedup_ci=ci,
                      baseline_ms=None if speedup is None else 0.5, candidate_ms=None if speedup is None else
                      0.5 / speedup, platform=platform, hardware=hardware, harness_version=HARNESS_VERSION,
                      task_id=task.id, task_hash=task.source_hash)


# One verdict per turn: (speedup, interval) for a correct kernel, a Status for a failure, None for a reply
# without code.
Verdict = tuple[float, tuple[float, float]] | Status | None

# model -> platform and, per task, each sample's turns. Ranked by fast_1 then geomean: zeta, mid, alpha
# (so sorting by model name reverses the order).
BENCH: dict[str, tuple[str, dict[str, list[list[Verdict]]]]] = {
    "zeta-coder": ("cpu", {
        "activation/relu": [[Status.incorrect, (2.4, (2.1, 2.7))], [None, (1.1, (0.9, 1.3))]],
        "pooling/max_pool2d": [[(1.3, (1.1, 1.5)), (1.25, (1.0, 1.5))], [Status.build_error, None]],
        "activation/softsign": [[Status.incorrect, Status.incorrect], [None, Status.build_error]],
    }),
    "alpha-coder": ("cpu", {
        "activation/relu": [[(1.2, (0.9, 1.5)), None], [Status.incorrect, None]],
        "pooling/max_pool2d": [[Status.build_error, Status.build_error], [None, None]],
        "activation/softsign": [[(0.8, (0.7, 0.9)), None], [Status.incorrect, None]],
    }),
    "mid-coder": ("cuda", {
        "activation/relu": [[(1.6, (1.4, 1.8)), None], [None, None]],
        "pooling/max_pool2d": [[Status.incorrect, None], [Status.incorrect, None]],
        "activation/softsign": [[Status.build_error, None], [None, None]],
    }),
}
_FAILURES = {Status.incorrect: (Reason.output_mismatch, Stage.correctness, "output mismatch: max abs error 0.31"),
             Status.build_error: (Reason.compile_error, Stage.build, BUILD_ERROR)}


# For tasks without an example solution (held-out ones have none): a kernel's text is all the pages need.
PLAIN_KERNEL = '''import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

ext = load_inline(name="softsign_ext", cpp_sources="torch::Tensor f(torch::Tensor x) { return x / (1 + x.abs()); }",
                  functions=["f"])


class ModelNew(nn.Module):
    def forward(self, x):
        return ext.f(x)
'''


def _solution(task: Task) -> str:
    path = SUITE_DIR / task.category.value / "solutions" / f"{task.id.split('/')[-1]}.cpu.py"
    return path.read_text(encoding="utf-8") if path.is_file() else PLAIN_KERNEL


def _judged_turn(store: Store, traj: int, index: int, model: str, task: Task, source: str, result: EvalResult,
                 hardware_id: int) -> int:
    turn_id = store.add_turn(traj, index, "prompt", "reply", model=model, prompt_tokens=900,
                             completion_tokens=400, latency_s=3.5)
    eval_id = store.record_evaluation(task, source, result, hardware_id=hardware_id, turn_id=turn_id)
    row = store.get_evaluation(eval_id)
    assert row is not None
    store.set_turn_outcome(turn_id, TurnOutcome.evaluated, candidate_id=row.candidate_id, evaluation_id=eval_id)
    return row.candidate_id


def _bench_config(tasks: list[Task], model: str, platform: str) -> BenchConfig:
    return BenchConfig(selection="suite smoke", split=Split.all, platform=platform,
                       tasks=[BenchTask(id=t.id, origin=t.id, source_hash=t.source_hash) for t in tasks],
                       provider=ProviderConfig(name="openai", model=model), search=SearchConfig(trajectories=2,
                                                                                                turns=2))


def _seed_bench(store: Store, tasks: dict[str, Task], model: str, platform: str,
                plan: dict[str, list[list[Verdict]]], hardware: tuple[int, str]) -> str:
    hw_id, hw_name = hardware
    config = _bench_config(list(tasks.values()), model, platform)
    run_id = store.create_run(RunKind.bench, {"bench": config.model_dump(mode="json"),
                                              "provider_label": f"openai {model}", "harness_version": HARNESS_VERSION,
                                              "hardware": hw_name, "hardware_id": hw_id})
    for task_id, samples in plan.items():
        task = tasks[task_id]
        for sample, verdicts in enumerate(samples):
            traj = store.add_trajectory(run_id, task_id, sample)
            for index, verdict in enumerate(verdicts):
                if verdict is None:
                    store.add_turn(traj, index, "prompt", "no code here", model=model, outcome=TurnOutcome.no_code)
                    continue
                # Each turn's kernel differs (a constant the normalizer keeps), so each is its own candidate.
                source = _solution(task) + f'\nVARIANT = "{model}-{sample}-{index}"\n'
                if isinstance(verdict, Status):
                    reason, stage, message = _FAILURES[verdict]
                    result = _result(task, platform, hw_name, status=verdict, reason=reason, stage=stage,
                                     message=message)
                else:
                    result = _result(task, platform, hw_name, verdict[0], verdict[1],
                                     message=f"{verdict[0]:.2f}x faster")
                _judged_turn(store, traj, index, model, task, source, result, hw_id)
            store.finish_trajectory(traj, RunStatus.finished, f"used all {len(verdicts)} turns")
    store.finish_run(run_id)
    return run_id


def seed_store(store: Store, url: str, root: Path) -> Seeded:
    """Fill an empty store with the records the page tests look for."""
    names = ("activation/relu", "pooling/max_pool2d", "activation/softsign")
    tasks = {name: load_task(SUITE_DIR / f"{name}.py") for name in names}
    for task in tasks.values():
        store.upsert_task(task)
    cpu = (store.upsert_hardware("fp-cpu", "cpu", "Test CPU", {}), "Test CPU")
    gpu = (store.upsert_hardware("fp-gpu", "cuda", "Test GPU", {}), "Test GPU")
    bench_runs: dict[str, str] = {}
    for model, (platform, plan) in BENCH.items():
        bench_runs[model] = _seed_bench(store, tasks, model, platform, plan, cpu if platform == "cpu" else gpu)
    relu = tasks["activation/relu"]
    store.record_baseline(relu.id, relu.source_hash, "cpu", BaselineKind.eager, 0.5, hardware_id=cpu[0], min_ms=0.48,
                          ci=(0.49, 0.51))
    store.record_baseline(relu.id, relu.source_hash, "cpu", BaselineKind.compile, 0.4, hardware_id=cpu[0],
                          vs_eager=(1.25, 1.2, 1.3), message="eager 0.50 ms, torch.compile 0.40 ms")

    # An optimize run as `kernelwright optimize` stores it: a kernel that must be shown escaped fails to build,
    # the next one is verified fast.
    optimize = OptimizeConfig(task_source=relu.source, task_origin=str(root / "relu.py"), task_id=relu.id,
                              platform="cpu", provider=ProviderConfig(name="examples", model="examples"),
                              search=SearchConfig(trajectories=1, turns=2))
    run_id = store.create_run(RunKind.optimize, {"optimize": optimize.model_dump(mode="json"), "task_id": relu.id,
                                                 "provider_label": "examples", "harness_version": HARNESS_VERSION})
    traj = store.add_trajectory(run_id, relu.id, 0)
    script_source = _solution(relu) + f'\nBANNER = "{SCRIPT_MARK}"\n'
    script_kernel = _judged_turn(store, traj, 0, "examples", relu, script_source,
                                 _result(relu, "cpu", "Test CPU", status=Status.build_error,
                                         reason=Reason.compile_error, stage=Stage.build, message=BUILD_ERROR),
                                 cpu[0])
    fast_kernel = _judged_turn(store, traj, 1, "examples", relu, _solution(relu),
                               _result(relu, "cpu", "Test CPU", 3.1, (2.8, 3.4), message="3.10x faster"), cpu[0])
    store.finish_trajectory(traj, RunStatus.finished, "used all 2 turns")
    store.finish_run(run_id)

    # A bench run still in progress (no task yet, so no leaderboard counts it): its page keeps itself current.
    running = store.create_run(RunKind.bench, {"bench": _bench_config([], "busy-coder", "cpu").model_dump(mode="json"),
                                               "provider_label": "openai busy-coder"})
    return Seeded(url=url, root=root, bench_runs=bench_runs, running_bench_run=running, optimize_run=run_id,
                  kernels={"script": script_kernel, "fast": fast_kernel}, task_ids=list(names))


@pytest.fixture(scope="session")
def seeded() -> Iterator[Seeded]:
    """A temporary SQLite store seeded once per session (see `seed_store`); removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="kw-pages-"))
    url = f"sqlite:///{root / 'store.db'}"
    with Store(url) as store:
        record = seed_store(store, url, root)
    try:
        yield record
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def seeded_db_url(seeded: Seeded) -> str:
    """The SQLAlchemy URL of the seeded store."""
    return seeded.url


def _ray_processes(marker: str) -> list[str]:
    return subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()


@pytest.fixture(scope="session")
def server_env() -> Iterator[dict[str, str]]:
    """Ray's environment for apps started in this process (as `ray_env` sets it for the CLI), for the session.

    Fails if a Ray process of this session is still alive a while after the last app stopped.
    """
    ray_tmp = tempfile.mkdtemp(prefix="kwray", dir="/tmp")  # short: Ray's unix socket paths must stay short
    values = {"RAY_AUTH_MODE": "disabled", "RAY_TMPDIR": ray_tmp}
    with pytest.MonkeyPatch.context() as mp:
        for name, value in values.items():
            mp.setenv(name, value)
        yield values
    deadline = time.monotonic() + 15.0
    while _ray_processes(ray_tmp) and time.monotonic() < deadline:
        time.sleep(0.25)  # ray.shutdown() signals its processes; they take a moment to go
    leftovers = _ray_processes(ray_tmp)
    shutil.rmtree(ray_tmp, ignore_errors=True)
    assert leftovers == [], "Ray processes outlived the app"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def live_server(seeded_db_url: str, server_env: dict[str, str]) -> Iterator[str]:
    """The app over the seeded store, served by uvicorn in a thread; yields its base URL (no trailing slash).

    Shutting the server down runs the app's shutdown, which stops the jobs and Ray. Module-scoped, not
    session-wide: its Ray and its evaluator (one CPU) would otherwise stay up under every later module's in-process
    apps, which then join that Ray; on a two-CPU runner the pages module's two apps would find one CPU left.
    """
    import uvicorn

    from kernelwright.server.app import create_app
    from kernelwright.settings import ServeSettings

    app = create_app(ServeSettings(workers=1), seeded_db_url)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, name="kw-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_S
    while not server.started:
        if not thread.is_alive():
            pytest.fail("the server stopped while starting (see the log above)")
        if time.monotonic() > deadline:
            server.should_exit = True
            pytest.fail(f"the server did not start within {SERVER_START_S:.0f} s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(60)


def _browser_paths() -> tuple[str, str] | None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (chromium, driver) if chromium and driver else None


@pytest.fixture(scope="session")
def browser_paths() -> tuple[str, str]:
    """Chromium and chromedriver: found on PATH, else installed by scripts/install_test_browser.sh, else skip."""
    paths = _browser_paths()
    if paths is None and INSTALL_BROWSER.is_file():
        subprocess.run(["bash", str(INSTALL_BROWSER)], capture_output=True, text=True, timeout=600, check=False)
        paths = _browser_paths()
    if paths is None:
        pytest.skip("headless Chromium is missing: run `sudo scripts/install_test_browser.sh` (Debian's chromium "
                    "and chromium-driver)")
    return paths


@pytest.fixture(scope="session")
def browser(browser_paths: tuple[str, str]) -> Iterator[Any]:
    """A headless Chromium session (selenium 4) with a fixed window size; quit at the end of the session.

    Selenium is given both binaries, so selenium-manager never looks for (or downloads) a browser or driver.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = browser_paths
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--disable-dev-shm-usage", "--window-size=1400,1000", "--disable-gpu",
                "--disable-extensions", "--no-first-run", "--lang=en-US"):
        options.add_argument(arg)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # Chromium refuses to run as root with its sandbox on
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where screenshots go: `KERNELWRIGHT_TEST_ARTIFACTS`, else `test-artifacts/` in the repository."""
    path = Path(os.environ.get("KERNELWRIGHT_TEST_ARTIFACTS") or REPO_ROOT / "test-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path
