"""Training prompts built exactly as the agents build them: `PromptBuilder` with contrastive exemplars.

The exemplars are drawn from the store each time a prompt is built, so as GRPO rollouts are judged and
recorded, later prompts show the kernels (and speedups) that training itself produced.
"""

from __future__ import annotations

import random

from agent.exemplars import Exemplar, sample_exemplars, speedup_bucket
from agent.prompts import PromptBuilder, PromptInputs
from agent.prompts.builder import same_category_example
from agent.providers.base import ChatMessage
from db import Store
from evaluator import EvalOptions
from evaluator.api import default_threads
from evaluator.platforms.base import HardwareInfo, Peaks
from evaluator.result import HARNESS_VERSION
from tasks.model import Task


class TrainingPrompts:
    """First-turn prompts (no feedback yet) for a set of tasks on one platform and machine."""

    def __init__(self, store: Store, platform: str, options: EvalOptions, hardware: HardwareInfo | None,
                 peaks: Peaks | None, exemplars: int = 2, seed: int = 0) -> None:
        self.store, self.platform, self.options = store, platform, options
        self.hardware, self.peaks, self.exemplars = hardware, peaks, exemplars
        self.rng = random.Random(seed)
        self.builder = PromptBuilder()

    def exemplar_pool(self, task: Task) -> list[Exemplar]:
        """Every correct, timed candidate of this task version in the store, as prompt exemplars."""
        scored = self.store.scored_candidates(task.source_hash, self.platform, HARNESS_VERSION,
                                              self.options.allow_torch)
        return [Exemplar(source=c.source, speedup=r.speedup or 0.0, ci_low=(r.speedup_ci or (0.0, 0.0))[0],
                         ci_high=(r.speedup_ci or (0.0, 0.0))[1], bucket=speedup_bucket(r.speedup or 0.0))
                for c, r in scored]

    def messages(self, task: Task) -> list[ChatMessage]:
        """The chat messages of a fresh prompt for `task`, with exemplars sampled from the store now."""
        inputs = PromptInputs(task=task, platform=self.platform, hardware=self.hardware, peaks=self.peaks,
                              threads=self.options.threads or default_threads(),
                              allow_torch=self.options.allow_torch,
                              example=same_category_example(task, self.platform),
                              exemplars=sample_exemplars(self.exemplar_pool(task), self.rng, k=self.exemplars))
        return self.builder.build(inputs)
