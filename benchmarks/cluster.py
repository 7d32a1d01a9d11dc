"""EvaluatorPool benchmark: evaluations per minute and driver overhead per turn against the number of raylets.

    python benchmarks/cluster.py [--nodes 1 2] [--tasks 3] [--samples 2] [--turns 2] [--delay 2.0]

For each N in --nodes it starts a Ray cluster of N raylets on this machine (`ray start`, one CPU and so one
evaluator each, token authentication as docs/deploy.md sets it up), joins it as the driver (this process) and runs
a bench over --tasks suite tasks with a scripted model: every turn answers after --delay seconds with the task's
example solution made unique, so every turn is a fresh build and evaluation (no cache hits; `--repeat` replays the
same reply instead, so that turns after the first are cache hits and the driver alone sets the pace). It prints
per N:
- evaluations per minute (stored evaluations / wall time of the run, baselines measured alongside);
- driver CPU per turn: this process's CPU time (all threads, Ray's client included) over the turns; and the
  part of it that is per-turn work (prompts, extraction, store writes, Ray calls), i.e. less what the connected
  driver burns when idle (measured for 5 s before the run): one driver core sustains 1 / that many turns per
  second;
- the run's nodes and its wall time, the mean prompt size (characters; about 4 per token) and the rows the
  store gained per turn (trajectories, turns, candidates, evaluations, baselines).
Every raylet of a machine shares its timing lock, so on one machine N > cores / 2 adds build and correctness
parallelism but no timing parallelism; on real nodes each has its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

# Token authentication for the clusters started here; Ray reads these when it is imported.
os.environ.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=secrets.token_hex(32))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kernelwright.agent.bench.config import BenchConfig, BenchTask  # noqa: E402
from kernelwright.agent.bench.runner import BenchRunner  # noqa: E402
from kernelwright.agent.evaluators import ClusterConfig, EvaluatorPool  # noqa: E402
from kernelwright.agent.providers import ProviderConfig  # noqa: E402
from kernelwright.agent.providers.base import ChatMessage, Completion, CompletionContext  # noqa: E402
from kernelwright.agent.providers.examples import ExamplesProvider  # noqa: E402
from kernelwright.agent.search import SearchConfig  # noqa: E402
from kernelwright.db import Store  # noqa: E402
from kernelwright.evaluator import EvalOptions  # noqa: E402
from kernelwright.tasks.registry import example_solutions, resolve_task, suite_tasks  # noqa: E402

RAY = str(Path(sys.executable).parent / "ray")
IDLE_S = 5.0


class ScriptedModel(ExamplesProvider):
    """The examples provider behind a model's latency: each reply after `delay` seconds, each one unique."""

    def __init__(self, config: ProviderConfig, delay: float, repeat: bool) -> None:
        super().__init__(config)
        self.delay, self.repeat = delay, repeat

    @property
    def label(self) -> str:
        return f"scripted model (example solutions after {self.delay:g} s; benchmark, not an LLM)"

    async def complete(self, messages: list[ChatMessage], context: CompletionContext) -> Completion:
        await asyncio.sleep(self.delay)
        reply = await super().complete(messages, context)
        if self.repeat:
            return reply
        # A comment inside the C++ string changes the candidate's hash: a fresh build and evaluation every turn.
        tag = f"#include <torch/extension.h>\n// bench {uuid.uuid4().hex}"
        return Completion(text=reply.text.replace("#include <torch/extension.h>", tag, 1), model="scripted")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_raylets(count: int, temp_dir: str) -> str:
    """Start a head and count - 1 more raylets (one CPU each); returns the cluster's address."""
    common = ["--num-cpus", "1", "--temp-dir", temp_dir, "--disable-usage-stats"]
    subprocess.run([RAY, "start", "--head", "--port", str(_free_port()), "--include-dashboard=false", *common],
                   check=True, capture_output=True)
    address = (Path(temp_dir) / "ray_current_cluster").read_text().strip()
    for _ in range(count - 1):
        subprocess.run([RAY, "start", "--address", address, *common], check=True, capture_output=True)
    return address


def stop_raylets(temp_dir: str) -> None:
    """Stop the processes of this cluster only (by its temp dir), not every Ray on the machine."""
    pids = subprocess.run(["pgrep", "-f", temp_dir], capture_output=True, text=True).stdout.split()
    for pid in pids:
        subprocess.run(["kill", "-9", pid], check=False, capture_output=True)


def run_bench(nodes: int, tasks: int, samples: int, turns: int, delay: float, repeat: bool) -> dict[str, float]:
    """One bench on a fresh N-raylet cluster and a fresh store; returns its numbers."""
    chosen = [resolve_task(t.id) for t in suite_tasks() if "cpu" in example_solutions(t) and not t.held_out]
    chosen = chosen[:: max(1, len(chosen) // tasks)][:tasks]
    temp_dir = tempfile.mkdtemp(prefix="kwc", dir="/tmp")
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{tmp}/bench.db"
        store = Store(db)
        config = BenchConfig(selection=f"{len(chosen)} suite tasks", tasks=[
            BenchTask(id=t.id, origin=t.path or t.id, source_hash=t.source_hash) for t in chosen],
            provider=ProviderConfig(name="examples"),
            search=SearchConfig(trajectories=samples, turns=turns, patience=turns, max_failures=turns),
            eval=EvalOptions(threads=1, correctness_trials=1, compile_baseline=False),
            concurrency=len(chosen) * samples)
        try:
            cluster = EvaluatorPool(ClusterConfig(address=start_raylets(nodes, temp_dir)), "cpu")
            cluster.start()  # actors up and warm before the clock starts
            # What the driver burns while connected and idle (Ray's own threads), to tell it from per-turn work.
            idle = time.process_time()
            time.sleep(IDLE_S)
            idle_rate = (time.process_time() - idle) / IDLE_S
            runner = BenchRunner(store, ScriptedModel(config.provider, delay, repeat), cluster, config, chosen)
            cpu, wall = time.process_time(), time.perf_counter()
            runner.run()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            cluster.shutdown()
        finally:
            stop_raylets(temp_dir)
        store.close()
        with sqlite3.connect(f"{tmp}/bench.db") as conn:
            evaluations = conn.execute("SELECT COUNT(*) FROM evaluation").fetchone()[0]
            used = conn.execute("SELECT COUNT(DISTINCT node_id) FROM evaluation").fetchone()[0]
            done_turns = conn.execute("SELECT COUNT(*) FROM turn").fetchone()[0]
            prompt_chars = conn.execute("SELECT AVG(LENGTH(prompt)) FROM turn").fetchone()[0] or 0.0
            rows = sum(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                       for table in ("trajectory", "turn", "candidate", "evaluation", "baseline_timing"))
    return {"nodes": nodes, "nodes_used": used, "evaluations": evaluations, "turns": done_turns,
            "prompt_chars_per_turn": prompt_chars, "rows_per_turn": rows / max(1, done_turns),
            "wall_s": wall, "evals_per_min": evaluations / wall * 60,
            "driver_cpu_ms_per_turn": cpu / max(1, done_turns) * 1e3,
            "driver_turn_ms": max(0.0, cpu - idle_rate * wall) / max(1, done_turns) * 1e3,
            "driver_idle_cpu_share": idle_rate}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--tasks", type=int, default=3)
    parser.add_argument("--samples", type=int, default=2)
    parser.add_argument("--turns", type=int, default=2)
    parser.add_argument("--delay", type=float, default=2.0, help="seconds the scripted model takes per reply")
    parser.add_argument("--repeat", action="store_true", help="the same reply every turn of a task: all but the "
                        "first are served from the evaluation cache, which measures the driver alone")
    parser.add_argument("--json", action="store_true", help="one JSON object per N instead of a table")
    args = parser.parse_args()
    if not args.json:
        print(f"{args.tasks} tasks x {args.samples} samples x {args.turns} turns, model delay {args.delay:g} s, "
              f"{'repeated' if args.repeat else 'unique'} replies, on {os.cpu_count()} cores")
        print("raylets | nodes used | evaluations | turns | wall s | evaluations/min | driver CPU ms/turn | "
              "of it per-turn work | idle driver CPU | prompt chars | rows/turn")
    for nodes in args.nodes:
        row = run_bench(nodes, args.tasks, args.samples, args.turns, args.delay, args.repeat)
        if args.json:
            print(json.dumps(row))
        else:
            print(f"{nodes:7d} | {row['nodes_used']:10.0f} | {row['evaluations']:11.0f} | {row['turns']:5.0f} | "
                  f"{row['wall_s']:6.1f} | {row['evals_per_min']:15.2f} | {row['driver_cpu_ms_per_turn']:18.1f} | "
                  f"{row['driver_turn_ms']:19.1f} | {100 * row['driver_idle_cpu_share']:14.1f}% | "
                  f"{row['prompt_chars_per_turn']:12.0f} | {row['rows_per_turn']:9.2f}", flush=True)


if __name__ == "__main__":
    main()
