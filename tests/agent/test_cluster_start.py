"""A pool whose node has no CPU left for its evaluators fails to start with an error that says so, instead of
waiting for ever, and leaves no actor behind to take the CPUs once they come free; an evaluator added during a run
that has no room takes no call.

This is how the full suite once hung: three in-process apps on one Ray of a two-CPU runner, each asking one CPU.
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
import json, time
import ray
import kernelwright.agent.evaluators.pool as pool_module
from kernelwright.agent.evaluators.local_ray import OBJECT_STORE_BYTES
from kernelwright.agent.evaluators import ClusterConfig, ClusterError, EvaluatorPool

ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False,
         object_store_memory=OBJECT_STORE_BYTES)

@ray.remote(num_cpus=2)
class Hog:
    def ready(self):
        return True

hog = Hog.remote()
ray.get(hog.ready.remote())
pool_module.PLACEMENT_TIMEOUT_S = 3.0
full = EvaluatorPool(ClusterConfig(workers=1), "cpu")
started = time.monotonic()
try:
    full.start()
    error = None
except ClusterError as exc:
    error = str(exc)
waited = time.monotonic() - started
left = len(full.members)
ray.kill(hog)
# Both CPUs free again: a pool that needs both starts, so the failed pool left nothing pending to take one.
pool_module.PLACEMENT_TIMEOUT_S = 60.0
both = EvaluatorPool(ClusterConfig(workers=2), "cpu")
both.start()
print(json.dumps({"error": error, "waited": waited, "left": left, "size": both.size,
                  "sites": len(both.sites())}))
both.shutdown()
ray.shutdown()
"""


def _report(script: str, env: dict[str, str]) -> dict[str, Any]:
    """Run `script` in a Python of its own and return the JSON object it printed last."""
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_a_full_node_fails_the_start_and_names_its_free_cpus(ray_env: dict[str, str]) -> None:
    report = _report(SCRIPT, ray_env)
    error = report["error"]
    assert error is not None, "the start waited for an evaluator no node has room for"
    assert "1 of 1 evaluators could not be placed within 3 s" in error, error
    assert "has 0 of 2 CPUs free" in error and "asks 1 CPU each" in error, error
    assert report["waited"] < 60 and report["left"] == 0
    assert report["size"] == 2 and report["sites"] == 2


# A pool of two on two CPUs loses an evaluator; another job takes its CPU before the pool tops up. The evaluator
# asked for in its place cannot be placed: calls must go to the one left, not wait on the unplaced one.
RUN_SCRIPT = """
import asyncio, json
import ray
import kernelwright.agent.evaluators.pool as pool_module
from kernelwright.agent.evaluators.local_ray import OBJECT_STORE_BYTES
from kernelwright.agent.evaluators import ClusterConfig, EvaluatorPool

ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False,
         object_store_memory=OBJECT_STORE_BYTES)

@ray.remote(num_cpus=1)
class Hog:
    def ready(self):
        return True

pool = EvaluatorPool(ClusterConfig(workers=2), "cpu")
pool.start()  # room for both: the default timeout (two actors may take over 4 s to come up on a loaded machine)
pool_module.PLACEMENT_TIMEOUT_S = 4.0  # what the top-up after the loss below is held to

async def main():
    lost = pool.members[0]
    ray.kill(lost.handle, no_restart=True)
    hog = Hog.remote()
    await hog.ready.remote()
    # The first idle evaluator is the dead one: the call retries on the other and the pool tops up.
    await pool._call(lambda h: h.ready.remote())
    calls = asyncio.gather(*(pool._call(lambda h: h.ready.remote()) for _ in range(4)))
    results = await asyncio.wait_for(calls, 60)
    stuck = len(pool._pending)
    await asyncio.sleep(pool_module.PLACEMENT_TIMEOUT_S + 2)
    await pool._call(lambda h: h.ready.remote())
    dropped = len(pool.members)
    ray.kill(hog)
    for _ in range(60):
        await pool.refresh()
        await asyncio.sleep(1)
        if len(pool._idle) == 2:
            break
    return {"results": len(results), "stuck": stuck, "dropped": dropped, "members": len(pool.members),
            "idle": len(pool._idle)}

print(json.dumps(asyncio.run(main())))
pool.shutdown()
ray.shutdown()
"""


def test_an_evaluator_added_without_room_takes_no_call(ray_env: dict[str, str]) -> None:
    report = _report(RUN_SCRIPT, ray_env)
    assert report["results"] == 4 and report["stuck"] == 1  # all four went to the live one while one waited
    assert report["dropped"] == 1  # unplaced past the timeout: dropped, nothing left pending on a full node
    assert report["members"] == 2 and report["idle"] == 2  # room again: the next top-up placed it
