"""`examples`: an offline provider that replays the suite's example solutions instead of asking a model.

It lets the whole pipeline (prompts, Ray, evaluator, store, CLI) run with no network and no model, for the
demo and the tests. It is labelled as a replay everywhere it appears: its "speedups" are the hand-written
examples', not a model's.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from kernelwright.agent.providers.base import ChatMessage, Completion, CompletionContext, Provider
from kernelwright.tasks.hashing import sha256_text
from kernelwright.tasks.loader import load_task
from kernelwright.tasks.model import Task
from kernelwright.tasks.registry import example_solutions, suite_paths


@lru_cache(maxsize=1)
def _suite_by_hash() -> dict[str, Path]:
    """Suite task files by the hash of their text, so a copied suite file finds its example."""
    return {sha256_text(p.read_text(encoding="utf-8")): p for p in suite_paths()}


def example_for(task: Task, platform: str) -> Path | None:
    """The example solution shipped for this task (matched by path or by content) on `platform`."""
    found = example_solutions(task).get(platform)
    if found is not None:
        return found
    path = _suite_by_hash().get(task.source_hash)
    if path is None:
        return None
    return example_solutions(load_task(path)).get(platform)


class ExamplesProvider(Provider):
    """Replies with the task's example solution; a task without one is not asked (`cannot_answer`)."""

    name = "examples"
    offline = True

    @property
    def label(self) -> str:
        return "examples (offline replay of the suite's example solutions, not an LLM)"

    async def check(self) -> None:
        return None

    def cannot_answer(self, task: Task, platform: str) -> str | None:
        if example_for(task, platform) is not None:
            return None
        return (f"no shipped example for {task.id} on {platform}: the examples provider only replays the suite's "
                "example solutions (use a model, e.g. --provider openai)")

    async def complete(self, messages: list[ChatMessage], context: CompletionContext) -> Completion:
        path = example_for(context.task, context.platform)
        if path is None:
            text = (f"The examples provider has no {context.platform} example solution for {context.task.id}; "
                    "it only replays the suite's shipped examples. Use a real model (--provider openai).")
        else:
            text = (f"Replaying the shipped example solution `{path.name}`.\n\n```python\n"
                    f"{path.read_text(encoding='utf-8').rstrip()}\n```\n")
        return Completion(text=text, model="examples")
