"""Ray: evaluator actors pinned to devices, started locally or on an existing cluster.

One actor per GPU (`num_gpus=1`) for GPU platforms; on CPU-only nodes, `workers` actors build and check
candidates in parallel while the evaluator's per-machine timing lock keeps their timed runs from overlapping.
The driver alone talks to the store: actors return `EvalResult`s and never open a database.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import ray
from pydantic import BaseModel, Field

from evaluator import BaselineResult, EvalOptions, EvalResult, evaluate, measure_baselines
from evaluator.platforms import get_platform
from evaluator.platforms.base import HardwareInfo, Peaks
from tasks.model import Task

GPU_PLATFORMS = ("cuda", "triton")
# Small object store: only sources and results travel through it.
OBJECT_STORE_BYTES = 256 * 1024 * 1024


class ClusterConfig(BaseModel):
    """Where evaluators run."""

    address: str | None = Field(default=None, description="an existing Ray cluster; None starts one locally")
    workers: int | None = Field(default=None, ge=1, description="evaluator actors on CPU (default: one per "
                                "two cores, at least one); GPU platforms get one per GPU")
    temp_dir: str | None = Field(default=None, description="Ray's session folder for a local start")


class Evaluator:
    """A Ray actor that runs `evaluator.evaluate` (each evaluation in its own sandboxed child process)."""

    def __init__(self, platform: str) -> None:
        self.platform = get_platform(platform)

    def hardware(self) -> tuple[HardwareInfo, Peaks | None]:
        self.platform.prepare()
        return self.platform.hardware(), self.platform.peaks()

    def evaluate(self, task: Task, source: str, options: EvalOptions) -> EvalResult:
        return evaluate(task, source, self.platform.name, options)

    def baselines(self, task: Task, options: EvalOptions) -> BaselineResult:
        return measure_baselines(task, self.platform.name, options)


def default_workers() -> int:
    """Evaluator actors for a CPU node: one per two cores, since timing uses half of them."""
    return max(1, (os.cpu_count() or 2) // 2)


def _forwarded_env() -> dict[str, str]:
    # Workers of a locally started Ray see these; API keys stay in the driver.
    return {k: v for k, v in os.environ.items() if k.startswith("KERNELWRIGHT_") and k != "KERNELWRIGHT_DB_URL"}


class Cluster:
    """Ray connection plus a pool of evaluator actors, used from the driver's asyncio loop."""

    def __init__(self, config: ClusterConfig, platform: str) -> None:
        self.config = config
        self.platform = platform
        self.started_ray = False
        self.gpus = 0  # GPUs in the Ray cluster, known once started
        self.actors: list[Any] = []
        self._idle: asyncio.Queue[Any] | None = None

    def start(self) -> None:
        """Connect to (or start) Ray and create the evaluator actors."""
        if not ray.is_initialized():
            kwargs: dict[str, Any] = dict(include_dashboard=False, log_to_driver=False, configure_logging=False,
                                          runtime_env={"env_vars": _forwarded_env()})
            if self.config.address is None:
                kwargs.update(object_store_memory=OBJECT_STORE_BYTES)
                if self.config.temp_dir:
                    kwargs["_temp_dir"] = self.config.temp_dir
            ray.init(address=self.config.address, **kwargs)
            self.started_ray = True
        self.gpus = int(ray.cluster_resources().get("GPU", 0))
        if self.platform in GPU_PLATFORMS and self.gpus > 0:
            options: dict[str, Any] = dict(num_gpus=1, num_cpus=1)
            count = self.gpus
        else:
            options = dict(num_cpus=1)
            count = self.config.workers or default_workers()
        actor_cls = ray.remote(Evaluator).options(**options)
        self.actors = [actor_cls.remote(self.platform) for _ in range(count)]

    @property
    def size(self) -> int:
        return len(self.actors)

    def describe(self) -> str:
        where = self.config.address or "local"
        return f"Ray ({where}), {self.size} evaluator{'s' if self.size != 1 else ''} for {self.platform}"

    async def hardware(self) -> tuple[HardwareInfo, Peaks | None]:
        """The device the evaluators measure on (from the first actor; a cluster is assumed uniform)."""
        return await self.actors[0].hardware.remote()

    async def evaluate(self, task: Task, source: str, options: EvalOptions) -> EvalResult:
        """Run one evaluation on the next idle actor."""
        actor = await self._acquire()
        try:
            return await actor.evaluate.remote(task, source, options)
        finally:
            self._release(actor)

    async def baselines(self, task: Task, options: EvalOptions) -> BaselineResult:
        """Time the task's eager model against torch.compile on the next idle actor."""
        actor = await self._acquire()
        try:
            return await actor.baselines.remote(task, options)
        finally:
            self._release(actor)

    async def _acquire(self) -> Any:
        if self._idle is None:
            self._idle = asyncio.Queue()
            for actor in self.actors:
                self._idle.put_nowait(actor)
        return await self._idle.get()

    def _release(self, actor: Any) -> None:
        assert self._idle is not None
        self._idle.put_nowait(actor)

    def shutdown(self) -> None:
        """Kill our actors (and with them any evaluation in flight); disconnect, stopping Ray if we started it."""
        for actor in self.actors:
            ray.kill(actor)
        self.actors = []
        if self.started_ray:
            ray.shutdown()
            self.started_ray = False
