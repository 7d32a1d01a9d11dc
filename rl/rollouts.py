"""GRPO rollouts judged by the evaluator (through Ray) and written back to the store as a `train` run.

Each rollout becomes one trajectory of the run with one turn (prompt, reply, tokens), linked to its candidate
and evaluation exactly as `optimize` links them, so `traces export` picks training traces up next time. A
multi-turn rollout (`begin`, then one call per turn with `trajectories`, then `finish`) is one trajectory with a
turn per call, each newly judged kernel's parent the candidate of the turn before, as in `optimize`. The
evaluation cache is shared with `optimize` through the same judge (agent/verdicts.py): a kernel already judged
(same task version, normalized hash, platform, and a verdict made the same way: harness version, jail,
tolerance) is not run again, and identical kernels in one batch are evaluated once.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from kernelwright.agent.evaluators import EvaluatorPool
from kernelwright.agent.verdicts import VerdictRecorder, Verdicts
from kernelwright.db import Store
from kernelwright.evaluator import EvalOptions, EvalResult
from kernelwright.rl.rewards import completion_text
from kernelwright.tasks.model import Task


class RolloutJudge:
    """Judges a batch of completions and records each as a turn of the training run."""

    def __init__(self, store: Store, cluster: EvaluatorPool, run_id: str, tasks: dict[str, Task], options: EvalOptions,
                 model_label: str, tokenizer: Any = None) -> None:
        self.store, self.run_id, self.tasks = store, run_id, tasks
        self.model_label, self.tokenizer = model_label, tokenizer
        # Judges and records each rollout's kernel (cache, in-flight sharing, hardware and node), as optimize does.
        self.judging = Verdicts(VerdictRecorder(store, cluster.platform), cluster, options)
        self.next_index: dict[str, int] = {}
        self.verdicts: list[EvalResult | None] = []
        # Multi-turn trajectories: the candidate of each one's latest judged turn, the next kernel's parent.
        self.parents: dict[int, int | None] = {}

    def begin(self, task_id: str, count: int) -> list[int]:
        """Start `count` multi-turn trajectories of the run on `task_id` (one group); returns their store ids."""
        ids = []
        for _ in range(count):
            index = self.next_index.get(task_id, 0)
            self.next_index[task_id] = index + 1
            ids.append(self.store.add_trajectory(self.run_id, task_id, index))
            self.parents[ids[-1]] = None
        return ids

    def finish(self, trajectory_ids: list[int]) -> None:
        """Mark multi-turn trajectories started by `begin` finished."""
        for trajectory_id in trajectory_ids:
            self.store.finish_trajectory(trajectory_id, stop_reason="multi-turn GRPO rollout")
            self.parents.pop(trajectory_id, None)

    async def __call__(self, prompts: list[Any], completions: list[Any], task_ids: list[str],
                       completion_ids: list[list[int]] | None = None, *, trajectories: list[int] | None = None,
                       turn: int = 0) -> list[EvalResult | None]:
        """One verdict per completion (None: no code block); every rollout is stored, as a trajectory of its own,
        or with `trajectories` (ids from `begin`, one per completion) as turn `turn` of each."""
        texts = [completion_text(c) for c in completions]
        tokens: list[int | None] = ([len(ids) for ids in completion_ids] if completion_ids is not None
                                    else [None] * len(texts))
        if trajectories is None:
            turns = [self._add_turn(self.tasks[task_id], prompt, text, n)
                     for prompt, text, task_id, n in zip(prompts, texts, task_ids, tokens)]
        else:
            turns = [(trajectory_id, self._add_turn_to(trajectory_id, turn, prompt, text, n))
                     for trajectory_id, prompt, text, n in zip(trajectories, prompts, texts, tokens, strict=True)]
        # All at once, in order: a repeat of a kernel earlier in the batch awaits that one's evaluation.
        judged = await asyncio.gather(*(
            self.judging.judge_reply(self.tasks[task_id], text, turn_id=turn_id,
                                      parent_id=self.parents.get(trajectory_id))
            for (trajectory_id, turn_id), task_id, text in zip(turns, task_ids, texts)))
        verdicts: list[EvalResult | None] = []
        for (trajectory_id, _turn_id), verdict in zip(turns, judged):
            verdicts.append(None if verdict is None else verdict.result)
            if trajectories is not None and verdict is not None:
                self.parents[trajectory_id] = verdict.candidate_id
            if trajectories is None:
                self.store.finish_trajectory(trajectory_id, stop_reason="GRPO rollout")
        self.verdicts.extend(verdicts)
        return verdicts

    def _prompt_tokens(self, messages: list[dict[str, str]]) -> int | None:
        if self.tokenizer is None:
            return None
        return len(self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True,
                                                      return_dict=True)["input_ids"])

    def _add_turn(self, task: Task, prompt: Any, reply: str, completion_tokens: int | None) -> tuple[int, int]:
        """A new trajectory holding this rollout as its only turn; returns (trajectory id, turn id)."""
        index = self.next_index.get(task.id, 0)
        self.next_index[task.id] = index + 1
        trajectory_id = self.store.add_trajectory(self.run_id, task.id, index)
        return trajectory_id, self._add_turn_to(trajectory_id, 0, prompt, reply, completion_tokens)

    def _add_turn_to(self, trajectory_id: int, index: int, prompt: Any, reply: str,
                     completion_tokens: int | None) -> int:
        """Store this rollout as turn `index` of a trajectory; returns the turn's id."""
        messages = prompt if isinstance(prompt, list) else [{"role": "user", "content": str(prompt)}]
        return self.store.add_turn(trajectory_id, index, json.dumps(messages), reply, model=self.model_label,
                                   prompt_tokens=self._prompt_tokens(messages), completion_tokens=completion_tokens)
