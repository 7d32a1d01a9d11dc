"""Kernelwright on a real two-node Ray cluster: a head and a second raylet on this machine (one CPU each, distinct
custom resources), joined by the real CLI with `--ray-address`, with Ray's token authentication on.

Shows from the store that evaluations ran on both nodes, that killing the second raylet mid-run still ends with
every task judged exactly once (its lost work retried on the head), and that a node joining a running pool gets
an evaluator.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.slow

TASKS = ["activation/relu", "pooling/max_pool2d"]
RAY = str(Path(sys.executable).parent / "ray")


@dataclass
class TwoRaylets:
    """A running head (resource nodeA) and, once added, a second raylet (nodeB), and how to reach them."""

    address: str
    temp_dir: str
    env: dict[str, str]

    def add_node(self, resource: str) -> None:
        """Start one more raylet with one CPU and the custom resource `resource`."""
        _start(["--address", self.address, "--resources", json.dumps({resource: 1}), *_common(self.temp_dir)],
               self.env)

    def raylet(self, resource: str) -> psutil.Process:
        """The raylet process of the node that holds `resource`."""
        for proc in psutil.process_iter(["name", "cmdline"]):
            cmdline = " ".join(proc.info["cmdline"] or [])
            if proc.info["name"] == "raylet" and self.temp_dir in cmdline and resource in cmdline:
                return proc
        raise LookupError(f"no raylet with {resource}")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run([RAY, "start", *args], env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def _common(temp_dir: str) -> list[str]:
    return ["--num-cpus", "1", "--temp-dir", temp_dir, "--disable-usage-stats"]


@pytest.fixture
def head_only() -> Iterator[TwoRaylets]:
    """Start a head the way docs/deploy.md says (token auth, the same token on every node); stop only the
    processes of this cluster (by its temp dir) afterwards."""
    temp_dir = tempfile.mkdtemp(prefix="kw2r", dir="/tmp")  # short: Ray's unix socket paths must fit
    env = dict(os.environ, RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=secrets.token_hex(32), PYTHONUNBUFFERED="1",
               OPENAI_API_KEY="test-key",
               # A dead node is noticed in seconds instead of the default half minute (test speed only).
               RAY_health_check_period_ms="1000", RAY_health_check_timeout_ms="2000",
               RAY_health_check_failure_threshold="5")
    try:
        _start(["--head", "--port", str(_free_port()), "--include-dashboard=false",
                "--resources", json.dumps({"nodeA": 1}), *_common(temp_dir)], env)
        address = (Path(temp_dir) / "ray_current_cluster").read_text().strip()
        yield TwoRaylets(address=address, temp_dir=temp_dir, env=env)
    finally:
        for proc in psutil.process_iter(["cmdline"]):
            if temp_dir in " ".join(proc.info["cmdline"] or []):
                try:
                    proc.kill()
                except psutil.NoSuchProcess:
                    continue  # gone already
        time.sleep(1)


@pytest.fixture
def two_raylets(head_only: TwoRaylets) -> TwoRaylets:
    """The head and a second raylet (nodeB)."""
    head_only.add_node("nodeB")
    return head_only


def _bench(cluster: TwoRaylets, db_path: Path) -> list[str]:
    return [sys.executable, "-m", "kernelwright.cli", "bench", *(a for t in TASKS for a in ("--tasks", t)),
            "--provider", "examples", "--samples", "1", "--turns", "1", "--threads", "1", "--trials", "1",
            "--no-compile-baseline", "--ray-address", cluster.address, "--db-url", f"sqlite:///{db_path}", "--json"]


def _query(db_path: Path, sql: str) -> list[tuple[object, ...]]:
    if not db_path.exists():
        return []
    try:
        with sqlite3.connect(db_path) as conn:
            return list(conn.execute(sql))
    except sqlite3.OperationalError:  # the schema is not there yet
        return []


def _judged_once(db_path: Path) -> None:
    """Every task of the run has exactly one evaluation, every turn its verdict, every trajectory finished."""
    per_task = dict(_query(db_path, "SELECT task_id, COUNT(*) FROM evaluation GROUP BY task_id"))
    assert per_task == dict.fromkeys(TASKS, 1), per_task
    turns = _query(db_path, "SELECT outcome, evaluation_id FROM turn")
    assert len(turns) == len(TASKS) and all(o == "evaluated" and e is not None for o, e in turns), turns
    assert {s for (s,) in _query(db_path, "SELECT status FROM trajectory")} == {"finished"}
    assert {s for (s,) in _query(db_path, "SELECT status FROM run")} == {"finished"}
    baselines = {t for (t,) in _query(db_path, "SELECT task_id FROM baseline_timing WHERE median_ms > 0")}
    assert baselines == set(TASKS)


def test_bench_uses_both_nodes_and_survives_losing_one(two_raylets: TwoRaylets, tmp_path: Path) -> None:
    # Both nodes judge: one evaluator per node (one CPU each), two tasks judged at once.
    db_path = tmp_path / "both.db"
    done = subprocess.run(_bench(two_raylets, db_path), env=two_raylets.env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout)["overall"]["tasks"] == len(TASKS)
    _judged_once(db_path)
    nodes = _query(db_path, "SELECT DISTINCT node_id FROM evaluation")
    assert len(nodes) == 2 and all(n for (n,) in nodes), nodes
    hardware = _query(db_path, "SELECT DISTINCT e.hardware_id FROM evaluation e JOIN baseline_timing b "
                               "ON b.hardware_id = e.hardware_id")
    assert len(hardware) == 1  # one machine: one hardware, and its baselines are the ones the speedups go with

    # The second raylet dies while the run is going: its work is retried on the head, nothing is judged twice.
    db_path = tmp_path / "lost.db"
    proc = subprocess.Popen(_bench(two_raylets, db_path), env=two_raylets.env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    # The first stored turn means the run is under way: both evaluators hold work (baselines or evaluations).
    while not _query(db_path, "SELECT id FROM turn") and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None, proc.communicate()[1][-3000:]
    two_raylets.raylet("nodeB").send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err[-3000:]
    assert json.loads(out)["overall"]["tasks"] == len(TASKS)
    _judged_once(db_path)


# Run as the driver in a process of its own: Ray reads RAY_AUTH_MODE/RAY_AUTH_TOKEN when it is imported.
JOIN_SCRIPT = """
import asyncio, json, subprocess, sys
from kernelwright.agent.evaluators import ClusterConfig, EvaluatorPool
from kernelwright.evaluator import EvalOptions
from kernelwright.tasks.registry import example_solutions, resolve_task

cluster = EvaluatorPool(ClusterConfig(address=sys.argv[1]), "cpu")
cluster.start()
before = cluster.nodes()
print("JOIN", flush=True)
sys.stdin.readline()  # the test has started the second raylet
task = resolve_task("activation/relu")
source = example_solutions(task)["cpu"].read_text()

async def main():
    await cluster.refresh(wait_s=120)  # the new node's evaluator is up before the two evaluations start
    judged = await asyncio.gather(*(cluster.evaluate(task, source, EvalOptions(threads=1, correctness_trials=1))
                                    for _ in range(2)))
    return [j.site.node_id for j in judged], [j.result.status.value for j in judged]

nodes, statuses = asyncio.run(main())
print(json.dumps({"before": before, "after": cluster.nodes(), "judged_on": nodes, "statuses": statuses}))
cluster.shutdown()
"""


def test_a_node_that_joins_gets_an_evaluator(head_only: TwoRaylets) -> None:
    proc = subprocess.Popen([sys.executable, "-c", JOIN_SCRIPT, head_only.address], env=head_only.env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    assert proc.stdout.readline().strip() == "JOIN", proc.communicate()[1][-3000:]
    head_only.add_node("nodeB")
    proc.stdin.write("go\n")
    proc.stdin.flush()
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    report = json.loads(out.strip().splitlines()[-1])
    assert len(report["before"]) == 1 and len(report["after"]) == 2
    # Two evaluations at once on two one-CPU nodes: one on each, both judged correct (timing may call a speed
    # unstable on a loaded machine; that is still a correct kernel).
    assert sorted(report["judged_on"]) == report["after"]
    assert set(report["statuses"]) <= {"correct", "unstable"}, report
