"""`kernelwright train grpo`: TRL's GRPOTrainer with the evaluator as reward.

Prompts are the agents' own (`PromptBuilder`, contrastive exemplars sampled from the store each time a prompt
is drawn, so kernels found during training show up in later prompts). Every group of completions is judged by
evaluator actors on Ray, once per completion; the reward is the weighted sum of the run's named reward functions
(`rl.rewards`, default `speedup`: a correct kernel's clipped log-speedup, every failure below the slowest correct
kernel), which TRL normalizes per prompt group. Each rollout and its verdict is stored in a `train` run.

With `turns` > 1 the run is multi-turn GRPO (`rl.trainers.multiturn`, a loop of its own beside TRL's trainer,
which cannot credit turns separately): groups of whole trajectories, feedback on each verdict in the next
prompt, each turn credited with its discounted return. Every turn is stored as a rollout the same way.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel, Field

from kernelwright.agent.evaluators import EvaluatorPool
from kernelwright.db import Store
from kernelwright.db.enums import RunKind, RunStatus
from kernelwright.evaluator import EvalOptions
from kernelwright.evaluator.platforms.base import HardwareInfo, Peaks
from kernelwright.rl.prompts import TrainingPrompts
from kernelwright.rl.rewards import TrlRewards
from kernelwright.rl.rollouts import RolloutJudge
from kernelwright.rl.trainers.common import TrainingReport, on_cpu, report, require_train_extra, step_timer
from kernelwright.rl.trainers.multiturn import MultiTurnGrpo, StepReturns
from kernelwright.rl.trainers.options import GrpoOptions
from kernelwright.tasks.model import Task


class GrpoReport(TrainingReport):
    """A GRPO run's report: the stored run and the rewards it saw."""

    run_id: str
    rollouts: int
    rewards: list[float] = Field(description="each rollout's reward as TRL trained on it: the weighted sum of "
                                 "the configured reward functions (with turns > 1: every turn's, trajectory by "
                                 "trajectory, each one's turns in order)")
    returns: list[StepReturns] = Field(default_factory=list, description="multi-turn runs: each step's mean "
                                       "return and its spread over the group")


class PromptSpec(BaseModel):
    """What the prompt stream needs, as plain data: `datasets` hashes generator arguments, and a live Store
    (engine, locks) cannot be hashed, so the stream opens its own read connection from the URL."""

    db_url: str
    platform: str
    eval: EvalOptions
    hardware: HardwareInfo | None
    peaks: Peaks | None
    exemplars: int
    seed: int
    tasks: list[Task]


def prompt_stream(spec: PromptSpec) -> Iterator[dict[str, Any]]:
    """Endless prompts cycling over the tasks, each built (and its exemplars drawn) when it is pulled."""
    store = Store(spec.db_url)
    try:
        prompts = TrainingPrompts(store, spec.platform, spec.eval, spec.hardware, spec.peaks, spec.exemplars,
                                  spec.seed)
        for task in itertools.cycle(spec.tasks):
            yield {"prompt": [m.model_dump() for m in prompts.messages(task)], "task_id": task.id}
    finally:
        store.close()


def grpo_arguments(options: GrpoOptions, reward_weights: list[float]) -> dict[str, Any]:
    """The keyword arguments of TRL's `GRPOConfig` for a single-prompt run of `options` (needs TRL).

    One prompt group per optimizer step: the group's `num_generations` completions are sampled in one batch
    (`generation_batch_size` = micro batch x accumulation steps = the group), then the update runs over them
    `micro_batch` at a time, accumulating gradients; as `steps_per_generation` equals the accumulation steps, the
    samples are on-policy and no old log-probs are computed, and the default `dapo` loss divides by the group's
    token count whatever the micro batch, so the step's gradient is the same as one pass over the whole group.
    The weighted sum of the reward functions is normalized per group (not each function on its own), so the
    report's `rewards.totals` are what was trained on. No shuffle buffer, which would build (and freeze) prompts
    ahead.
    """
    from dataclasses import fields

    from trl import GRPOConfig

    accumulation = options.num_generations // options.micro_batch
    # transformers 5 renamed `gradient_checkpointing` (the old name warns, and goes in 6); older 5.x know only it.
    checkpointing = ("activation_checkpointing" if any(f.name == "activation_checkpointing" for f in fields(GRPOConfig))
                     else "gradient_checkpointing")
    return {"output_dir": str(options.output_dir), "max_steps": options.max_steps,
            "per_device_train_batch_size": options.micro_batch, "gradient_accumulation_steps": accumulation,
            "steps_per_generation": accumulation, "num_generations": options.num_generations,
            "reward_weights": reward_weights, "multi_objective_aggregation": "sum_then_normalize",
            "max_completion_length": options.max_completion_length, "learning_rate": options.learning_rate,
            "temperature": options.temperature, "beta": options.beta, "seed": options.seed,
            "shuffle_dataset": False, "logging_steps": 1, "save_strategy": "no", "report_to": [],
            "use_cpu": on_cpu(), "bf16": False, checkpointing: options.gradient_checkpointing,
            "dataloader_num_workers": 0}


@contextmanager
def logprob_chunk(columns: int) -> Iterator[None]:
    """TRL's fused log-prob head tiles the vocabulary `columns` wide while inside (restored after).

    TRL reads the width from a module constant on each call and has no setting for it; its default (32768) sizes
    tiles for a GPU, where only completion positions are scored. Off a GPU every position is scored, so a tile
    is the whole sequence times the width, in several float32 copies at once: the update's largest allocation.
    A TRL without the constant is left as it is."""
    import trl.trainer.utils as trl_utils

    name = "_CHUNKED_LOGPROB_CHUNK_SIZE"
    if not hasattr(trl_utils, name):
        yield
        return
    before = getattr(trl_utils, name)
    setattr(trl_utils, name, columns)
    try:
        yield
    finally:
        setattr(trl_utils, name, before)


def train_grpo(options: GrpoOptions, tasks: list[Task], store: Store) -> GrpoReport:
    """Run GRPO on `tasks`; saves the model and tokenizer to `output_dir` and records every rollout."""
    require_train_extra()
    held_out = [t.id for t in tasks if t.held_out or ((row := store.get_task(t.id)) is not None and row.held_out)]
    if held_out:
        raise ValueError(f"held-out (benchmark-only) tasks cannot be trained on: {', '.join(held_out)}")
    if not tasks:
        raise ValueError("no tasks to train on")
    for task in tasks:
        store.upsert_task(task)
    run_id = store.create_run(RunKind.train, {"grpo": options.model_dump(mode="json"),
                                              "tasks": [t.id for t in tasks]})
    cluster = EvaluatorPool(options.cluster, options.platform)
    try:
        cluster.start()
        result = _train(options, tasks, store, cluster, run_id)
    except BaseException:
        store.finish_run(run_id, RunStatus.failed)
        raise
    finally:
        cluster.shutdown()
    store.finish_run(run_id, RunStatus.finished)
    return result


def _train(options: GrpoOptions, tasks: list[Task], store: Store, cluster: EvaluatorPool, run_id: str) -> GrpoReport:
    from datasets import IterableDataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    hardware, peaks = asyncio.run(cluster.hardware())
    if options.turns > 1:
        return _train_multiturn(options, tasks, store, cluster, run_id, hardware, peaks)
    spec = PromptSpec(db_url=store.url.render_as_string(hide_password=False), platform=options.platform,
                      eval=options.eval, hardware=hardware, peaks=peaks, exemplars=options.exemplars,
                      seed=options.seed, tasks=tasks)
    tokenizer = AutoTokenizer.from_pretrained(options.model)
    model = AutoModelForCausalLM.from_pretrained(options.model)
    judge = RolloutJudge(store, cluster, run_id, {t.id: t for t in tasks}, options.eval,
                         f"local:{options.model}", tokenizer)
    rewards = TrlRewards(judge, options.reward)
    dataset = IterableDataset.from_generator(prompt_stream, gen_kwargs={"spec": spec})
    args = GRPOConfig(**grpo_arguments(options, rewards.weights))
    timer = step_timer()
    trainer = GRPOTrainer(model=model, reward_funcs=rewards.functions, args=args, train_dataset=dataset,
                          processing_class=tokenizer, callbacks=[timer])
    with logprob_chunk(options.logprob_chunk):
        trainer.train()
    trainer.model.save_pretrained(options.output_dir)
    tokenizer.save_pretrained(options.output_dir)
    base = report(str(options.output_dir), timer, trainer.state.log_history)
    return GrpoReport(**base.model_dump(), run_id=run_id, rollouts=len(judge.verdicts),
                      rewards=rewards.totals)


def _train_multiturn(options: GrpoOptions, tasks: list[Task], store: Store, cluster: EvaluatorPool, run_id: str,
                     hardware: HardwareInfo | None, peaks: Peaks | None) -> GrpoReport:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(options.seed)
    tokenizer = AutoTokenizer.from_pretrained(options.model)
    model = AutoModelForCausalLM.from_pretrained(options.model)
    model.to("cpu" if on_cpu() else "cuda")
    judge = RolloutJudge(store, cluster, run_id, {t.id: t for t in tasks}, options.eval,
                         f"local:{options.model}", tokenizer)
    prompts = TrainingPrompts(store, options.platform, options.eval, hardware, peaks, options.exemplars,
                              options.seed)

    def prompt(task: Task, feedback: str | None) -> list[dict[str, str]]:
        return [m.model_dump() for m in prompts.messages(task, feedback)]

    loop = MultiTurnGrpo(model, tokenizer, judge, prompt, options)
    steps = asyncio.run(loop.train(tasks, options.max_steps))
    model.save_pretrained(options.output_dir)
    tokenizer.save_pretrained(options.output_dir)
    mean = sum(loop.step_s) / len(loop.step_s)
    return GrpoReport(output_dir=str(options.output_dir), steps=len(steps), mean_step_s=mean, step_s=loop.step_s,
                      final_loss=steps[-1].loss, run_id=run_id, rollouts=len(judge.verdicts), rewards=loop.rewards,
                      returns=steps)
