"""Service benchmark: requests/second for the read endpoints of `kernelwright serve` while a job runs (issue 8).

    python benchmarks/serve_rps.py [--seconds 10] [--concurrency 8] [--rounds 3] [--jobs 2] [--out FILE.json]

Starts the real server (`kernelwright serve --provider examples`, CPU jobs) on a fresh SQLite store in a temp
dir, with a token made by `kernelwright tokens create`; seeds one finished job (pooling/max_pool2d, 1 x 1) so
there is a kernel, a task and a run to read; then keeps --jobs longer jobs (2 trajectories x 4 turns) queued
or running on Ray while it measures, topping them up before each endpoint.

The offline `examples` provider replays one shipped solution per task, and the store never re-runs a stored
evaluation, so a job on a task already evaluated is over in moments. Each long job therefore takes the next
suite task with a CPU example that no job has had (activation/relu first): its baselines and first evaluation
are real builds and timed runs. Two in flight (the default) keep one running while the other is replaced. A
window counts as "job running" only when a job unfinished at its start is still unfinished at its end, so
that job ran through the whole window.

Each endpoint is hit by --concurrency clients (one `httpx.AsyncClient`) for --seconds, --rounds times,
round-robin across the endpoints so drift hits all of them alike. Reads are public; one more round reads a job
with the Bearer token to show the authenticated path. Pages answering 404 (not built yet) are skipped and
listed. Prints per endpoint: min and median requests/second over the rounds, p50 and p95 latency over every
request, and the non-200 answers (which should be 0); --out also writes it all as JSON.

The client runs on the same machine as the server, Ray and the jobs, so the numbers are what this machine does
with all of them sharing its cores; the load average is printed beside them. The server is always stopped
(SIGINT, then kill) and its temp dir removed, on Ctrl-C too; Ray processes left under it are ended by id.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from serve_rps_service import LONG_JOB, SEED_JOB, Jobs, Service

console = Console(stderr=True, highlight=False, soft_wrap=True)


@dataclass
class Round:
    """One measurement of one endpoint, with the long jobs unfinished at its start and at its end."""

    path: str
    rps: float
    requests: int
    non_200: int
    jobs_before: list[str]
    jobs_after: list[str]

    @property
    def covered(self) -> bool:
        """A job unfinished at the start was still unfinished at the end: it ran through the whole window."""
        return any(job in self.jobs_after for job in self.jobs_before)


@dataclass
class Endpoint:
    """An endpoint's rounds and all their latencies; `follows_job` reads the oldest unfinished long job."""

    name: str
    path: str
    auth: bool = False
    follows_job: bool = False
    rounds: list[Round] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list, repr=False)

    def summary(self) -> dict[str, Any]:
        """Min and median rps over the rounds, latency percentiles over every request, non-200 count."""
        rates = [r.rps for r in self.rounds]
        cuts = statistics.quantiles(self.latencies_ms, n=100) if len(self.latencies_ms) > 1 else [0.0] * 99
        return {"endpoint": self.name, "auth": self.auth, "rounds": len(self.rounds),
                "rps_min": min(rates), "rps_median": statistics.median(rates),
                "p50_ms": cuts[49], "p95_ms": cuts[94], "requests": sum(r.requests for r in self.rounds),
                "non_200": sum(r.non_200 for r in self.rounds),
                "job_running_throughout": all(r.covered for r in self.rounds),
                "per_round": [{**asdict(r), "covered": r.covered} for r in self.rounds]}


def _sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


async def _hammer(base: str, path: str, seconds: float, concurrency: int,
                  headers: dict[str, str]) -> tuple[int, int, list[float], float]:
    """`concurrency` clients GET `path` for `seconds`: (requests, non-200, latencies in ms, elapsed s)."""
    latencies: list[float] = []
    bad = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0, headers=headers) as client:
        await client.get(path)  # connection up, first-hit work done, outside the clock
        begin = time.perf_counter()
        deadline = begin + seconds

        async def worker() -> None:
            nonlocal bad
            while (now := time.perf_counter()) < deadline:
                answer = await client.get(path)
                latencies.append((time.perf_counter() - now) * 1e3)
                bad += answer.status_code != 200

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - begin
    return len(latencies), bad, latencies, elapsed


def _measure(service: Service, jobs: Jobs, endpoint: Endpoint, seconds: float, concurrency: int) -> None:
    before = jobs.top_up()
    if endpoint.follows_job:
        endpoint.path = f"/v1/jobs/{before[0]}"
    headers = {"authorization": f"Bearer {service.token}"} if endpoint.auth else {}
    requests, bad, latencies, elapsed = asyncio.run(_hammer(service.base, endpoint.path, seconds, concurrency,
                                                            headers))
    done = Round(path=endpoint.path, rps=requests / elapsed, requests=requests, non_200=bad, jobs_before=before,
                 jobs_after=jobs.unfinished())
    endpoint.rounds.append(done)
    endpoint.latencies_ms.extend(latencies)
    console.print(f"  {endpoint.name:<34} {done.rps:8.1f} rps  {bad} non-200; unfinished jobs "
                  f"{len(before)} -> {len(done.jobs_after)}, {'one' if done.covered else 'NONE'} ran throughout")


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def _endpoints(service: Service, seed_id: str, kernel_id: int, skipped: list[str]) -> list[Endpoint]:
    """The read endpoints to measure; a page answering 404 is left out (and listed in `skipped`)."""
    candidates = [Endpoint("/v1/info", "/v1/info"),
                  Endpoint("/v1/jobs/{running id}", "", follows_job=True),
                  Endpoint("/v1/jobs/{finished id}", f"/v1/jobs/{seed_id}"),
                  Endpoint("/v1/kernels/{kernel id}", f"/v1/kernels/{kernel_id}"),
                  Endpoint("/v1/tasks", "/v1/tasks"),
                  Endpoint("/v1/leaderboard", "/v1/leaderboard"),
                  Endpoint("/v1/runs/{finished id}", f"/v1/runs/{seed_id}"),
                  Endpoint("/ (page)", "/"),
                  Endpoint("/runs/{finished id} (page)", f"/runs/{seed_id}")]
    kept = []
    for endpoint in candidates:
        if endpoint.follows_job:
            kept.append(endpoint)
            continue
        code = httpx.get(service.base + endpoint.path, timeout=30.0).status_code
        if code == 404 and not endpoint.path.startswith("/v1/"):
            skipped.append(f"{endpoint.name}: 404 (no such page in this tree)")
        elif code != 200:
            raise RuntimeError(f"GET {endpoint.path} answered {code}")
        else:
            kept.append(endpoint)
    return kept


def run(args: argparse.Namespace) -> dict[str, Any]:
    """The whole benchmark against a server it starts and always stops."""
    started = time.monotonic()
    service = Service()
    skipped: list[str] = []
    try:
        service.create_token()
        console.print(f"starting kernelwright serve on {service.base} (temp dir {service.tmp}) ...")
        up_s = service.start()
        console.print(f"up in {up_s:.1f} s; seeding {SEED_JOB} ...")
        jobs = Jobs(service, args.jobs)
        seed_id = jobs.submit(SEED_JOB)
        seed = jobs.wait(seed_id)
        if seed["status"] != "finished" or seed["best"] is None:
            raise RuntimeError(f"the seed job ended {seed['status']} without a kernel: {seed['message']}")
        kernel_id = int(seed["best"]["kernel_id"])
        console.print(f"seed job {seed_id} finished; kernel {kernel_id}")
        if not jobs.top_up():
            raise RuntimeError("no long job is queued or running before the measurement")
        endpoints = _endpoints(service, seed_id, kernel_id, skipped)
        for name in skipped:
            console.print(f"[yellow]skipped {name}[/]")
        authed = Endpoint("/v1/jobs/{running id} (Bearer)", "", auth=True, follows_job=True)

        load_before = _load()
        measure_begin = time.monotonic()
        for index in range(args.rounds):
            console.print(f"round {index + 1}/{args.rounds} (load {_load()})")
            for endpoint in endpoints:
                _measure(service, jobs, endpoint, args.seconds, args.concurrency)
        console.print("authenticated round")
        _measure(service, jobs, authed, args.seconds, args.concurrency)
        measure_s = time.monotonic() - measure_begin
        load_after = _load()
        result = {
            "config": {"seconds": args.seconds, "concurrency": args.concurrency, "rounds": args.rounds,
                       "jobs_in_flight": args.jobs, "cpus": os.cpu_count(), "seed_job": SEED_JOB,
                       "long_job": LONG_JOB},
            "load_before": load_before, "load_after": load_after, "server_start_s": up_s, "measure_s": measure_s,
            "skipped": skipped, "endpoints": [e.summary() for e in [*endpoints, authed]],
            "long_jobs": jobs.final(),
        }
        jobs.client.close()
    finally:
        console.print("stopping the server ...")
        service.stop()
    result["leftover_ray_processes_ended"] = service.leftover_ray
    result["total_s"] = time.monotonic() - started
    return result


def show(result: dict[str, Any]) -> None:
    """The table, with the load and whether a job ran through every window."""
    cfg = result["config"]
    table = Table(title=f"kernelwright serve reads while jobs run: {cfg['concurrency']} concurrent, "
                        f"{cfg['seconds']:g} s x {cfg['rounds']} rounds, {cfg['cpus']} CPUs")
    for col in ("endpoint", "rounds", "min rps", "median rps", "p50 ms", "p95 ms", "requests", "non-200",
                "job running"):
        table.add_column(col, justify="left" if col == "endpoint" else "right")
    for e in result["endpoints"]:
        table.add_row(e["endpoint"], str(e["rounds"]), f"{e['rps_min']:.1f}", f"{e['rps_median']:.1f}",
                      f"{e['p50_ms']:.1f}", f"{e['p95_ms']:.1f}", str(e["requests"]), str(e["non_200"]),
                      "yes" if e["job_running_throughout"] else "NO")
    out = Console(highlight=False, width=max(132, Console().width))
    out.print(table)
    for name in result["skipped"]:
        out.print(f"skipped {name}")
    out.print(f"load average (1/5/15 min) before {result['load_before']}, after {result['load_after']}; "
              f"server up in {result['server_start_s']:.1f} s; measured {result['measure_s']:.0f} s; "
              f"{result['total_s']:.0f} s in all")
    windows = [r for e in result["endpoints"] for r in e["per_round"]]
    covered = sum(r["covered"] for r in windows)
    out.print(f"a long job ran through {covered} of {len(windows)} windows; long jobs: "
              + ", ".join(f"{j['task_id']} {j['status']} ({j['turns']} turns, {j['evaluations']} evaluations)"
                          for j in result["long_jobs"]))
    if result["leftover_ray_processes_ended"]:
        out.print(f"ended leftover Ray processes: {result['leftover_ray_processes_ended']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per endpoint per round")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight at once")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, round-robin over the endpoints")
    parser.add_argument("--jobs", type=int, default=2, choices=range(1, 5),
                        help="long jobs kept queued or running (a token may have 4 unfinished)")
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _sigterm)
    try:
        result = run(args)
    except KeyboardInterrupt:
        console.print("interrupted; the server was stopped")
        raise SystemExit(130) from None
    show(result)
    if args.out is not None:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    if any(e["non_200"] for e in result["endpoints"]):
        raise SystemExit("some requests did not answer 200")


if __name__ == "__main__":
    main()
