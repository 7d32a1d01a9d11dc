"""Training prompts built exactly as the agents build them: `PromptBuilder` with contrastive exemplars.

The exemplars are drawn from the store each time a prompt is built, so as GRPO rollouts are judged and
recorded, later prompts show the kernels (and speedups) that training itself produced.
"""

from __future__ import annotations

import random

from kernelwright.agent.exemplars import exemplar_pool, sample_exemplars
from kernelwright.agent.prompts import PromptBuilder, PromptInputs
from kernelwright.agent.prompts.builder import same_category_example
from kernelwright.agent.providers.base import ChatMessage
from kernelwright.db import Store
from kernelwright.evaluator import EvalOptions
from kernelwright.evaluator.api import default_threads
from kernelwright.evaluator.platforms.base import HardwareInfo, Peaks
from kernelwright.tasks.model import Task


class TrainingPrompts:
    """Prompts (a first turn's, or a later one's with feedback) for a set of tasks on one platform and machine."""

    def __init__(self, store: Store, platform: str, options: EvalOptions, hardware: HardwareInfo | None,
                 peaks: Peaks | None, exemplars: int = 2, seed: int = 0) -> None:
        self.store, self.platform, self.options = store, platform, options
        self.hardware, self.peaks, self.exemplars = hardware, peaks, exemplars
        self.rng = random.Random(seed)
        self.builder = PromptBuilder()

    def messages(self, task: Task, feedback: str | None = None) -> list[ChatMessage]:
        """The chat messages of a prompt for `task`, with exemplars sampled from the store now; `feedback` (the
        evaluator's word on the previous turn, `agent.prompts.feedback_for`) goes where the agents put it."""
        inputs = PromptInputs(task=task, platform=self.platform, hardware=self.hardware, peaks=self.peaks,
                              threads=self.options.threads or default_threads(),
                              allow_torch=self.options.allow_torch,
                              example=same_category_example(task, self.platform),
                              exemplars=sample_exemplars(exemplar_pool(self.store, task.source_hash, self.platform,
                                                                self.options), self.rng,
                                                  k=self.exemplars),
                              feedback=feedback)
        return self.builder.build(inputs)
