"""GRPO rollouts judged by the evaluator (through Ray) and written back to the store as a `train` run.

Each rollout becomes one trajectory of the run with one turn (prompt, reply, tokens), linked to its candidate
and evaluation exactly as `optimize` links them, so `traces export` picks training traces up next time. The
evaluation cache is shared with `optimize`: a kernel already judged (same task version, normalized hash,
platform, and a verdict made the same way: harness version, jail, tolerance; db/provenance.py) is not run again,
and identical kernels in one batch are evaluated once.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from agent.cluster import Cluster
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

    async def __call__(self, prompts: list[Any], completions: list[Any], task_ids: list[str],
                       completion_ids: list[list[int]] | None = None) -> list[EvalResult | None]:
        """One verdict per completion (None: no code block); every rollout is stored."""
        texts = [completion_text(c) for c in completions]
        sources = [extract_candidate(t) for t in texts]
        turns = [self._add_turn(self.tasks[task_id], prompt, text,
                                None if completion_ids is None else len(completion_ids[i]))
                 for i, (prompt, text, task_id) in enumerate(zip(prompts, texts, task_ids))]
        jobs: dict[tuple[str, str], asyncio.Task[tuple[int, int, EvalResult, TurnOutcome]]] = {}
        first_turn: dict[tuple[str, str], int] = {}
        for (_, turn_id), task_id, source in zip(turns, task_ids, sources):
            if source is not None and (task_id, normalized_hash(source)) not in jobs:
                key = (task_id, normalized_hash(source))
                first_turn[key] = turn_id
                jobs[key] = asyncio.create_task(self._judge(self.tasks[task_id], source, turn_id))
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
            self.store.finish_trajectory(trajectory_id, stop_reason="GRPO rollout")
        self.verdicts.extend(verdicts)
        return verdicts

    async def _judge(self, task: Task, source: str, turn_id: int) -> tuple[int, int, EvalResult, TurnOutcome]:
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
                                                     turn_id=turn_id, node_id=judged.site.node_id,
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
        messages = prompt if isinstance(prompt, list) else [{"role": "user", "content": str(prompt)}]
        trajectory_id = self.store.add_trajectory(self.run_id, task.id, index)
        turn_id = self.store.add_turn(trajectory_id, 0, json.dumps(messages), reply, model=self.model_label,
                                      prompt_tokens=self._prompt_tokens(messages),
                                      completion_tokens=completion_tokens)
        return trajectory_id, turn_id
