"""GRPO rollouts judged by the evaluator (through Ray) and written back to the store as a `train` run.

Each rollout becomes one trajectory of the run with one turn (prompt, reply, tokens), linked to its candidate
and evaluation exactly as `optimize` links them, so `traces export` picks training traces up next time. A
multi-turn rollout (`begin`, then one call per turn with `trajectories`, then `finish`) is one trajectory with a
turn per call, each newly judged kernel's parent the candidate of the turn before, as in `optimize`. The
evaluation cache is shared with `optimize`: a kernel already judged (same task version, normalized hash,
platform, and a verdict made the same way: harness version, jail, tolerance; db/provenance.py) is not run again,
and identical kernels in one batch are evaluated once.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from agent.evaluators import EvaluatorPool as Cluster
from agent.extract import extract_candidate
from db import Store
from db.enums import TurnOutcome
from db.provenance import VerdictKey
from evaluator import EvalOptions, EvalResult
from evaluator.hashing import normalized_hash
from rl.rewards import completion_text
from tasks.model import Task


class RolloutJudge:
    """Judges a batch of completions and records each as a turn of the training run."""

    def __init__(self, store: Store, cluster: Cluster, run_id: str, tasks: dict[str, Task], options: EvalOptions,
                 model_label: str, tokenizer: Any = None) -> None:
        self.store, self.cluster, self.run_id, self.tasks = store, cluster, run_id, tasks
        self.options, self.model_label, self.tokenizer = options, model_label, tokenizer
        # Store ids of the hardware the evaluators report, by fingerprint: each rollout records where it ran.
        self.hardware_ids: dict[str, int] = {}
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
        sources = [extract_candidate(t) for t in texts]
        tokens: list[int | None] = ([len(ids) for ids in completion_ids] if completion_ids is not None
                                    else [None] * len(texts))
        if trajectories is None:
            turns = [self._add_turn(self.tasks[task_id], prompt, text, n)
                     for prompt, text, task_id, n in zip(prompts, texts, task_ids, tokens)]
        else:
            turns = [(trajectory_id, self._add_turn_to(trajectory_id, turn, prompt, text, n))
                     for trajectory_id, prompt, text, n in zip(trajectories, prompts, texts, tokens, strict=True)]
        jobs: dict[tuple[str, str], asyncio.Task[tuple[int, int, EvalResult, TurnOutcome]]] = {}
        first_turn: dict[tuple[str, str], int] = {}
        for (trajectory_id, turn_id), task_id, source in zip(turns, task_ids, sources):
            if source is not None and (task_id, normalized_hash(source)) not in jobs:
                key = (task_id, normalized_hash(source))
                first_turn[key] = turn_id
                parent = self.parents.get(trajectory_id)
                jobs[key] = asyncio.create_task(self._judge(self.tasks[task_id], source, turn_id, parent))
        verdicts: list[EvalResult | None] = []
        for (trajectory_id, turn_id), task_id, source in zip(turns, task_ids, sources):
            if source is None:
                self.store.set_turn_outcome(turn_id, TurnOutcome.no_code)
                verdicts.append(None)
            else:
                key = (task_id, normalized_hash(source))
                candidate_id, evaluation_id, result, outcome = await jobs[key]
                # A repeat of a kernel judged for an earlier rollout of this batch shares its verdict.
                outcome = outcome if first_turn[key] == turn_id else TurnOutcome.cached
                self.store.set_turn_outcome(turn_id, outcome, candidate_id=candidate_id, evaluation_id=evaluation_id)
                verdicts.append(result)
                if trajectories is not None:
                    self.parents[trajectory_id] = candidate_id
            if trajectories is None:
                self.store.finish_trajectory(trajectory_id, stop_reason="GRPO rollout")
        self.verdicts.extend(verdicts)
        return verdicts

    async def _judge(self, task: Task, source: str, turn_id: int,
                     parent_id: int | None = None) -> tuple[int, int, EvalResult, TurnOutcome]:
        # Only a verdict made as this run's would be (harness, jail, tolerance) stands in for an evaluation.
        cached = self.store.find_evaluation_row(task.source_hash, normalized_hash(source), self.cluster.platform,
                                                VerdictKey.of_options(self.options), self.options.allow_torch)
        if cached is not None:
            return cached.candidate_id, cached.id, cached.result, TurnOutcome.cached
        judged = await self.cluster.evaluate(task, source, self.options)
        result, hardware = judged.result, judged.site.hardware
        if hardware.fingerprint not in self.hardware_ids:
            self.hardware_ids[hardware.fingerprint] = self.store.upsert_hardware(
                hardware.fingerprint, self.cluster.platform, hardware.description, hardware.details)
        evaluation_id = self.store.record_evaluation(task, source, result,
                                                     hardware_id=self.hardware_ids[hardware.fingerprint],
                                                     parent_id=parent_id, turn_id=turn_id, node_id=judged.site.node_id,
                                                     node_address=judged.site.node_address)
        row = self.store.get_evaluation(evaluation_id)
        assert row is not None
        return row.candidate_id, evaluation_id, result, TurnOutcome.evaluated

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
