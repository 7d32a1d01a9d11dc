"""An evaluator actor that never answers costs its caller a deadline, not for ever: the call gives a timeout verdict
(a baseline measurement an error) once the evaluation's own deadline and the call's margin have passed, the actor is
killed, and the pool carries on with a fresh one.

The evaluator here is a stand-in whose calls hang when the source (or the task) asks them to; a real evaluation
has deadlines of its own, so this is the backstop for one that still never returns.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]

# In a process of its own: Ray is per process, and this one is sized (two CPUs) whatever the machine has.
SCRIPT = """
import asyncio, json, time
import ray
import kernelwright.agent.call_deadline as call_deadline
import kernelwright.agent.evaluators.pool as pool_module
from kernelwright.agent.evaluators.local_ray import OBJECT_STORE_BYTES
from kernelwright.agent.evaluators import ClusterConfig, Evaluator, EvaluatorPool, EvaluatorSite
from kernelwright.evaluator.request import EvalOptions
from kernelwright.evaluator.result import EvalResult, Reason, Stage, Status
from kernelwright.tasks.registry import resolve_task

ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False,
         object_store_memory=OBJECT_STORE_BYTES)


class Stalling(Evaluator):
    def site(self):
        ctx = ray.get_runtime_context()
        return EvaluatorSite(node_id=ctx.get_node_id(), node_address="127.0.0.1", hardware=self.platform.hardware())

    def evaluate(self, task, source, options):
        if "hang" in source:
            time.sleep(3600)
        return EvalResult(status=Status.correct, reason=Reason.ok, stage=Stage.done, platform="cpu", message="answered")

    def baselines(self, task, options):
        time.sleep(3600)


pool_module.Evaluator = Stalling
call_deadline.CALL_MARGIN_S = 2.0
pool = EvaluatorPool(ClusterConfig(workers=1), "cpu")
pool.start()
task = resolve_task("activation/relu")
options = EvalOptions(timeout_s=1)


async def main():
    report = {}
    first = pool.members[0]
    try:
        hung = await asyncio.wait_for(pool.evaluate(task, "hang", options), 90)
        report["evaluate"] = [hung.result.status.value, hung.result.reason.value, hung.result.message]
        measured = await asyncio.wait_for(pool.baselines(task, options), 90)
        report["baselines"] = [measured.result.status.value, measured.result.message]
    except asyncio.TimeoutError:
        report["hung"] = True
        return report
    report["first_kept"] = any(m is first for m in pool.members)
    after = await asyncio.wait_for(pool.evaluate(task, "fine", options), 120)
    report["after"] = after.result.message
    report["members"] = len(pool.members)
    return report


print(json.dumps(asyncio.run(main())))
pool.shutdown()
ray.shutdown()
"""


def _report(script: str, env: dict[str, str]) -> dict[str, Any]:
    """Run `script` in a Python of its own and return the JSON object it printed last."""
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=400)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_a_stalled_evaluator_gives_a_timeout_and_is_replaced(ray_env: dict[str, str]) -> None:
    report = _report(SCRIPT, ray_env)
    assert not report.get("hung"), "the call waited on a stalled evaluator with no deadline"
    status, reason, message = report["evaluate"]
    assert (status, reason) == ("timeout", "wall_timeout"), report
    assert "no answer from the evaluator within 3 s" in message and "killed" in message, message
    assert report["baselines"][0] == "error" and "no answer from the evaluator" in report["baselines"][1], report
    assert not report["first_kept"], "the stalled actor was kept in the pool"
    assert report["after"] == "answered" and report["members"] == 1, report
