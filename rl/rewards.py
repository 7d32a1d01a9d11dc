"""Rewards for RL on kernels: named reward functions of a judged completion, combined with weights.

A reward function scores one judged completion (`Judged`: the evaluator's verdict, or None for a reply without
code, and the reply's text) and needs no trainer. `REWARD_FUNCTIONS` names them; a run picks some with weights
(`RewardConfig.functions`, default `speedup` alone) and a completion's reward is the weighted sum.
`TrlRewards` hands them to TRL's GRPOTrainer as one reward function each, with `reward_weights`, judging every
completion once however many functions read its verdict.

The `speedup` shape (the README's training section has it as a table):
- A correct kernel scores `log(speedup)` clipped to `[-max_log_speedup, max_log_speedup]`. Log makes a 2x gain
  and a 2x loss symmetric and keeps a lucky 50x (or a mis-timed one) from drowning every other signal; the clip
  bounds it anyway. Where the speedup's 95% interval is wide (wider than half the speedup: a busy machine) or the
  timing never settled (`unstable`: correct, speed uncertain), it scores `log` of the interval's lower end, what
  the measurement does support. A correct kernel with no usable measurement scores the clip's floor: the lower
  end of an unknown speed is 0.
- Every failure scores below the lowest correct kernel, so being correct and slow always pays more than failing
  (a 0.1x kernel still beats a near miss): the best failure sits `failure_gap` below the clip's floor, and each
  kind of failure further from a correct kernel one `failure_step` lower still: incorrect outputs, then kernels
  that built but never gave checked outputs (runtime errors, timeouts, CUDA compiled without a GPU), then build
  errors, then replies with no candidate, and lowest of all a candidate rejected by an anti-cheat rule, so that
  no cheat pays more than an honest attempt.
The rewards read only the stored verdict (status, reason, stage, speedup, interval) and the reply, so stored runs
can be scored again.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar

from pydantic import BaseModel, Field, field_validator

from kernelwright.agent.extract import defines_model_new, fenced_blocks
from kernelwright.evaluator.result import EvalResult, Reason, Stage, Status

log = logging.getLogger("kernelwright.train")


class Failure(str, Enum):
    """The kinds of failure, best first: each scores one `failure_step` below the one before it."""

    incorrect = "incorrect"  # ran to the end, outputs wrong
    unfinished = "unfinished"  # built, but never gave checked outputs: runtime error, timeout, no GPU to run on
    build_error = "build_error"  # never built (syntax and compile errors)
    no_candidate = "no_candidate"  # nothing to judge: no code, no ModelNew, or the evaluation was refused
    rejected = "rejected"  # an anti-cheat rule fired: no cheat may pay more than an honest attempt

    @property
    def steps(self) -> int:
        """How many `failure_step`s below the best failure this one scores."""
        return list(Failure).index(self)


_FAILURE_OF_STATUS = {
    Status.incorrect: Failure.incorrect,
    Status.runtime_error: Failure.unfinished,
    Status.timeout: Failure.unfinished,
    Status.build_ok_unverified: Failure.unfinished,
    Status.build_error: Failure.build_error,
    Status.refused: Failure.no_candidate,
    Status.rejected: Failure.rejected,
}


def failure_of(result: EvalResult) -> Failure | None:
    """The kind of failure a verdict is, or None for a correct kernel (`correct`, or `unstable`: correct, its
    speed unsettled)."""
    if result.status in (Status.correct, Status.unstable):
        return None
    if result.status is Status.rejected and result.reason is Reason.no_model_new and result.stage is Stage.static:
        # No ModelNew class in the source, found before anything ran: no candidate, not a cheat. (A small model's
        # valid Python without one would otherwise score below its syntax errors.)
        return Failure.no_candidate
    return _FAILURE_OF_STATUS[result.status]


def failure_reward(failure: Failure, config: RewardConfig | None = None) -> float:
    """The reward of a kind of failure: below the lowest correct kernel's by `failure_gap`, plus its steps."""
    cfg = config or RewardConfig()
    return -cfg.max_log_speedup - cfg.failure_gap - failure.steps * cfg.failure_step


def supported_speedup(result: EvalResult) -> float | None:
    """The speedup a correct verdict's measurement supports: the speedup where its interval is narrow, the
    interval's lower end where it is wide or the timing is `unstable`; None where there is no measurement."""
    lo = result.speedup_ci[0] if result.speedup_ci is not None else None
    if result.status is Status.unstable or result.interval_wide or result.speedup is None:
        return lo
    return result.speedup


def shaped_reward(result: EvalResult | None, config: RewardConfig | None = None) -> float:
    """The reward of one verdict: a correct kernel's clipped log-speedup, every failure below all of those.

    `None` (no code in the reply, or nothing to evaluate) is the `no_candidate` failure.
    """
    cfg = config or RewardConfig()
    if result is None:
        return failure_reward(Failure.no_candidate, cfg)
    failure = failure_of(result)
    if failure is not None:
        return failure_reward(failure, cfg)
    value = supported_speedup(result)
    if value is None or not math.isfinite(value) or value <= 0:
        return -cfg.max_log_speedup  # correct, speed unknown: the lower end of an unknown speed is 0
    return max(-cfg.max_log_speedup, min(cfg.max_log_speedup, math.log(value)))




@dataclass(frozen=True)
class Judged:
    """One completion as the reward functions see it: its verdict (None: no code to judge) and its text."""

    verdict: EvalResult | None
    reply: str


# A reward function: one judged completion and the run's reward settings -> a score.
RewardFunction = Callable[[Judged, "RewardConfig"], float]


def speedup_reward(judged: Judged, config: RewardConfig) -> float:
    """The verdict's shaped reward (`shaped_reward`): a correct kernel's clipped log-speedup, every failure below
    it. The objective itself: speed, but only for correct kernels, and no cheat above an honest attempt."""
    return shaped_reward(judged.verdict, config)


def correct_reward(judged: Judged, config: RewardConfig) -> float:
    """1 for a correct kernel (`correct`, or `unstable`: correct, its speed unsettled), else 0: the pass rate.
    A plain correctness signal that does not depend on a busy machine's timings; at weight 0 it logs the pass
    rate (`rewards/correct/mean`) without training on it."""
    return 1.0 if judged.verdict is not None and failure_of(judged.verdict) is None else 0.0


PYTHON_TAGS = frozenset({"python", "py", "python3"})


def format_reward(judged: Judged, config: RewardConfig) -> float:
    """1 when the reply is in the form the prompt asks for: exactly one fenced python block, closed, defining
    `ModelNew` (read as `agent.extract` reads replies), else 0. It pays a small model for a judgeable answer
    before any of its kernels builds; a verdict-free signal, so it also counts replies the judge never saw."""
    blocks = fenced_blocks(judged.reply)
    if len(blocks) != 1:
        return 0.0
    block = blocks[0]
    return 1.0 if block.closed and block.lang.lower() in PYTHON_TAGS and defines_model_new(block.body) else 0.0


# Every reward function a run may name, by the name it is configured and logged under.
REWARD_FUNCTIONS: Mapping[str, RewardFunction] = {
    "speedup": speedup_reward,
    "correct": correct_reward,
    "format": format_reward,
}


def weighted_reward(judged: Judged, functions: Mapping[str, float], config: RewardConfig) -> float:
    """The reward TRL trains on for `functions` (name -> weight): the weighted sum of their scores."""
    return sum(weight * REWARD_FUNCTIONS[name](judged, config) for name, weight in functions.items())


class RewardConfig(BaseModel):
    """How completions become rewards: the named reward functions with their weights, and the speedup shape."""

    functions: dict[str, float] = Field(
        default_factory=lambda: {"speedup": 1.0},
        description="reward functions by name, each with its weight; a completion's reward is the weighted sum "
        f"(TRL's reward_weights). Known: {', '.join(REWARD_FUNCTIONS)} (`rl/rewards.py` says what each "
        "rewards); weight 0 logs a function without training on it")
    max_log_speedup: float = Field(default=math.log(10.0), gt=0, description="clip of log(speedup): correct "
                                   "kernels score in [-max_log_speedup, max_log_speedup]")
    failure_gap: float = Field(default=0.5, gt=0, description="how far below the lowest correct kernel's reward "
                               "the best failure (incorrect outputs) scores")
    failure_step: float = Field(default=0.25, ge=0, description="how much lower each kind of failure further from "
                                "a correct kernel scores (0: every failure alike)")

    # Keys this section had once, with why they went: a configuration file naming one is told so (stored runs
    # that hold one still load: the model ignores unknown keys).
    retired_keys: ClassVar[dict[str, str]] = {
        "advantage_clip": "removed: it never did anything (GRPOTrainer normalizes each prompt group itself, "
                          "unclipped); delete it",
        "epsilon": "removed: it never did anything (GRPOTrainer adds its own 1e-4 to a group's std); delete it",
    }

    @field_validator("functions")
    @classmethod
    def _known_finite_weights(cls, functions: dict[str, float]) -> dict[str, float]:
        unknown = [name for name in functions if name not in REWARD_FUNCTIONS]
        if unknown:
            raise ValueError(f"unknown reward function {', '.join(map(repr, unknown))}; known: "
                             f"{', '.join(REWARD_FUNCTIONS)}")
        bad = [name for name, weight in functions.items() if not math.isfinite(weight)]
        if bad:
            raise ValueError(f"the weight of {', '.join(bad)} is not a finite number")
        if not any(functions.values()):
            raise ValueError("give at least one reward function a non-zero weight (e.g. speedup: 1.0): with none, "
                             "every completion scores 0 and training learns nothing")
        return functions


# judge(prompts, completions, task_ids, completion_ids) -> one verdict (or None: no code) per completion.
Judge = Callable[[list[Any], list[Any], list[str], list[list[int]] | None], Awaitable[list[EvalResult | None]]]


def completion_text(completion: Any) -> str:
    """The text of a TRL completion: a plain string, or a conversational list of messages."""
    if isinstance(completion, str):
        return completion
    return "".join(m.get("content") or "" for m in completion if m.get("role") == "assistant")


def flat_rewards_warning(rewards: list[float], verdicts: list[EvalResult | None]) -> str | None:
    """A warning when every reward of a step is the same: the group advantages are all zero, so the step cannot
    change the model; None otherwise."""
    if not rewards or any(r != rewards[0] for r in rewards):
        return None
    said: dict[str, int] = {}
    for verdict in verdicts:
        key = "no code" if verdict is None else verdict.status.value
        said[key] = said.get(key, 0) + 1
    tally = ", ".join(f"{n} {key}" for key, n in sorted(said.items(), key=lambda item: -item[1]))
    return (f"every reward of this step is {rewards[0]:.3g} ({tally}): no completion did better or worse than "
            "another, so this step teaches nothing; try more --generations, a higher --temperature, easier tasks "
            "or an SFT start")


class TrlRewards:
    """The run's reward functions in TRL's form: one async function per name (TRL logs `rewards/NAME/mean`),
    with `weights` for GRPOConfig's `reward_weights`, all sharing one judge call per batch.

    TRL calls every reward function of a step with the same `completions` list (async ones concurrently), so the
    first call of a batch starts the judge and the others await that same call: each completion is evaluated,
    and stored as a rollout, once. `totals` collects each completion's weighted reward, what TRL trains on.
    The dataset must carry a `task_id` column (TRL passes dataset columns to reward functions as keywords).
    Rewards are not group-normalized here: GRPOTrainer does that per prompt group (`scale_rewards="group"`).
    """

    def __init__(self, judge: Judge, config: RewardConfig) -> None:
        self.judge, self.config = judge, config
        self.totals: list[float] = []
        # The batch being judged: the `completions` list TRL passed (held, so its identity stays unique) and
        # the judging of it.
        self._batch: tuple[list[Any], asyncio.Task[list[Judged]]] | None = None

    @property
    def names(self) -> list[str]:
        """The configured reward functions' names, in the order of `functions` and `weights`."""
        return list(self.config.functions)

    @property
    def weights(self) -> list[float]:
        """GRPOConfig's `reward_weights`, one per function of `functions`."""
        return list(self.config.functions.values())

    @property
    def functions(self) -> list[Callable[..., Awaitable[list[float]]]]:
        """GRPOTrainer's `reward_funcs`: one per configured name, named after it."""
        return [self._trl_function(name) for name in self.names]

    def _trl_function(self, name: str) -> Callable[..., Awaitable[list[float]]]:
        score = REWARD_FUNCTIONS[name]

        async def reward(prompts: list[Any], completions: list[Any], task_id: list[str],
                         completion_ids: list[list[int]] | None = None, **_trainer_kwargs: Any) -> list[float]:
            judged = await self._judged(prompts, completions, task_id, completion_ids)
            return [score(j, self.config) for j in judged]

        reward.__name__ = reward.__qualname__ = name  # TRL names the function's logs after `__name__`
        return reward

    def _judged(self, prompts: list[Any], completions: list[Any], task_ids: list[str],
                completion_ids: list[list[int]] | None) -> asyncio.Task[list[Judged]]:
        if self._batch is None or self._batch[0] is not completions:
            self._batch = (completions, asyncio.ensure_future(
                self._judge_batch(prompts, completions, task_ids, completion_ids)))
        return self._batch[1]

    async def _judge_batch(self, prompts: list[Any], completions: list[Any], task_ids: list[str],
                           completion_ids: list[list[int]] | None) -> list[Judged]:
        verdicts = await self.judge(prompts, completions, task_ids, completion_ids)
        judged = [Judged(verdict, completion_text(c)) for verdict, c in zip(verdicts, completions, strict=True)]
        totals = [weighted_reward(j, self.config.functions, self.config) for j in judged]
        self.totals.extend(totals)
        warning = flat_rewards_warning(totals, verdicts)
        if warning is not None:
            log.warning(warning)
        return judged
