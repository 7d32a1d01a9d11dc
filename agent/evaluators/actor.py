"""The evaluator actor: runs `evaluator.evaluate` on its Ray node and says where that is."""

from __future__ import annotations

import ray
from pydantic import BaseModel

from kernelwright.evaluator import BaselineResult, EvalOptions, EvalResult, evaluate, measure_baselines
from kernelwright.evaluator.platforms import get_platform
from kernelwright.evaluator.platforms.base import HardwareInfo, Peaks
from kernelwright.tasks.model import Task


class EvaluatorSite(BaseModel):
    """Where an evaluation ran: the Ray node and the hardware measured there."""

    node_id: str
    node_address: str
    hardware: HardwareInfo
    peaks: Peaks | None = None


class Evaluator:
    """A Ray actor that runs `evaluator.evaluate` (each evaluation in its own sandboxed child process)."""

    def __init__(self, platform: str) -> None:
        self.platform = get_platform(platform)

    def ready(self) -> bool:
        """Answers as soon as the actor is placed and constructed (before any warm-up)."""
        return True

    def site(self) -> EvaluatorSite:
        """This actor's node and hardware (warms the platform first: headers, peaks)."""
        self.platform.prepare()
        context = ray.get_runtime_context()
        return EvaluatorSite(node_id=context.get_node_id(), node_address=ray.util.get_node_ip_address(),
                             hardware=self.platform.hardware(), peaks=self.platform.peaks())

    def evaluate(self, task: Task, source: str, options: EvalOptions) -> EvalResult:
        """Judge `source` for `task` on this actor's platform."""
        return evaluate(task, source, self.platform.name, options)

    def baselines(self, task: Task, options: EvalOptions) -> BaselineResult:
        """Time `task`'s eager model against torch.compile on this actor's platform."""
        return measure_baselines(task, self.platform.name, options)
