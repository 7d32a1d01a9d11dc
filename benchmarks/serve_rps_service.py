"""The service under test for `serve_rps.py`: the real `kernelwright serve` in a subprocess, and the jobs kept
running on it through the API while the endpoints are measured."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

SEED_JOB = {"task_id": "pooling/max_pool2d", "trajectories": 1, "turns": 1}
# Patience as long as the turns, so the replayed example (never a new best) does not stop a job early.
LONG_JOB = {"trajectories": 2, "turns": 4, "patience": 4}
FIRST_LONG_TASK = "activation/relu"
SUITE = Path(__file__).resolve().parents[1] / "tasks" / "suite"
UNFINISHED = ("queued", "running")
START_TIMEOUT_S = 120.0
JOB_TIMEOUT_S = 900.0
STOP_TIMEOUT_S = 60.0

console = Console(stderr=True, highlight=False, soft_wrap=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli() -> str:
    beside = Path(sys.executable).with_name("kernelwright")
    found = str(beside) if beside.exists() else shutil.which("kernelwright")
    if found is None:
        raise SystemExit("`kernelwright` is not installed in this environment (pip install -e .)")
    return found


class Service:
    """The real `kernelwright serve` in a subprocess, on a store and Ray session of its own in a temp dir."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="kwrps", dir="/tmp"))  # short: Ray's socket paths have a limit
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("KERNELWRIGHT_SERVE_")}
        self.env.update(RAY_AUTH_MODE="disabled", RAY_TMPDIR=str(self.tmp),
                        KERNELWRIGHT_DB_URL=f"sqlite:///{self.tmp}/store.db")
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = self.tmp / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.token = ""
        self.leftover_ray: list[int] = []

    def create_token(self) -> str:
        """A token with the real CLI; its secret is the only line on stdout."""
        done = subprocess.run([_cli(), "tokens", "create", "bench", "--rate-per-minute", "1000000"], env=self.env,
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"tokens create failed: {done.stderr.strip()}")
        lines = done.stdout.strip().splitlines()
        if len(lines) != 1:
            raise RuntimeError(f"tokens create printed {len(lines)} lines on stdout, not 1")
        self.token = lines[0].strip()
        return self.token

    def start(self) -> float:
        """Start the server and wait until `/v1/info` answers; returns the seconds that took."""
        begin = time.monotonic()
        with self.log.open("wb") as log:
            # A session of its own: Ctrl-C reaches this script only, which stops the server in order.
            self.proc = subprocess.Popen([_cli(), "serve", "--port", str(self.port), "--provider", "examples"],
                                         env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        while time.monotonic() - begin < START_TIMEOUT_S:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.base}/v1/info", timeout=2.0).status_code == 200:
                    return time.monotonic() - begin
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the server did not answer within {START_TIMEOUT_S:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's output."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGINT, wait, then kill; end Ray processes left under the temp dir (by id); remove the temp dir."""
        try:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.send_signal(signal.SIGINT)
                try:
                    self.proc.wait(STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    console.print("[yellow]the server did not stop on SIGINT; killing it[/]")
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(10)
            self.leftover_ray = self._ray_pids()
            for pid in self.leftover_ray:
                _end(pid)
            if self._ray_pids():
                console.print(f"[red]Ray processes still running under {self.tmp}: {self._ray_pids()}[/]")
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _ray_pids(self) -> list[int]:
        done = subprocess.run(["pgrep", "-f", str(self.tmp)], capture_output=True, text=True, check=False)
        return [int(p) for p in done.stdout.split() if int(p) != os.getpid()]


def _end(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            time.sleep(0.1)
            os.kill(pid, 0)
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def long_tasks() -> list[str]:
    """Suite tasks with a CPU example solution, FIRST_LONG_TASK first and the seed's task left out."""
    found = sorted(f"{p.parent.parent.name}/{p.name.removesuffix('.cpu.py')}"
                   for p in SUITE.glob("*/solutions/*.cpu.py"))
    return [FIRST_LONG_TASK, *(t for t in found if t not in (FIRST_LONG_TASK, SEED_JOB["task_id"]))]


class Jobs:
    """Submits and watches jobs through the API, and keeps `in_flight` long jobs unfinished."""

    def __init__(self, service: Service, in_flight: int) -> None:
        self.client = httpx.Client(base_url=service.base, timeout=30.0,
                                   headers={"authorization": f"Bearer {service.token}"})
        self.in_flight = in_flight
        self.tasks = long_tasks()
        self.submitted: list[tuple[str, str]] = []  # (job id, task id), in submission order
        self.live: list[str] = []  # long jobs last seen unfinished, oldest first

    def submit(self, body: dict[str, Any]) -> str:
        """POST /v1/optimize; the job id."""
        answer = self.client.post("/v1/optimize", json=body)
        if answer.status_code != 202:
            raise RuntimeError(f"POST /v1/optimize answered {answer.status_code}: {answer.text}")
        return str(answer.json()["job_id"])

    def get(self, job_id: str) -> dict[str, Any]:
        """GET /v1/jobs/{id}."""
        answer = self.client.get(f"/v1/jobs/{job_id}")
        answer.raise_for_status()
        return dict(answer.json())

    def wait(self, job_id: str) -> dict[str, Any]:
        """Poll until the job is no longer queued or running."""
        begin = time.monotonic()
        while time.monotonic() - begin < JOB_TIMEOUT_S:
            job = self.get(job_id)
            if job["status"] not in UNFINISHED:
                return job
            time.sleep(1.0)
        raise RuntimeError(f"job {job_id} did not finish within {JOB_TIMEOUT_S:.0f} s")

    def unfinished(self) -> list[str]:
        """The long jobs still queued or running, oldest first."""
        self.live = [job for job in self.live if self.get(job)["status"] in UNFINISHED]
        return list(self.live)

    def top_up(self) -> list[str]:
        """Submit long jobs, each on the next fresh task, until `in_flight` are unfinished; those jobs."""
        while len(self.unfinished()) < self.in_flight:
            index = len(self.submitted)
            if index == len(self.tasks):
                console.print("[yellow]every CPU example task has had a job: jobs on reused tasks end at once[/]")
            task = self.tasks[index % len(self.tasks)]
            job = self.submit({"task_id": task, **LONG_JOB})
            self.submitted.append((job, task))
            self.live.append(job)
            console.print(f"  submitted long job {job} on {task} ({self.get(job)['status']})")
        return list(self.live)

    def final(self) -> list[dict[str, Any]]:
        """Every long job submitted, with its status and progress now."""
        views = []
        for job, task in self.submitted:
            view = self.get(job)
            views.append({"job_id": job, "task_id": task, "status": view["status"],
                          "turns": f"{view['progress']['turns_done']}/{view['progress']['turns_total']}",
                          "evaluations": view["progress"]["evaluations"]})
        return views
