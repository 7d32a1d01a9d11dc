"""Rewards for RL on kernels: correctness first, then the evaluator's speedup, shaped and clipped.

The pure functions here work on evaluator verdicts (`EvalResult`, or None for a reply without code) and need
no trainer: `shaped_reward` scores one verdict, `group_normalize` turns a group of scores (the completions of
one prompt) into advantages, `rewards_for_groups` does both. `trl_reward_function` adapts a judge to TRL's
reward-function signature `(prompts, completions, **kwargs) -> list[float]`.

Shape (the README's training section has it as a table):
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
The reward reads only the stored verdict (status, reason, stage, speedup, interval), so stored runs can be
scored again.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from enum import Enum
from typing import Any

from pydantic import BaseModel, Field

from evaluator.result import EvalResult, Reason, Stage, Status

log = logging.getLogger("kernelwright.train")


class RewardConfig(BaseModel):
    """How verdicts become rewards."""

    max_log_speedup: float = Field(default=math.log(10.0), gt=0, description="clip of log(speedup): correct "
                                   "kernels score in [-max_log_speedup, max_log_speedup]")
    failure_gap: float = Field(default=0.5, gt=0, description="how far below the lowest correct kernel's reward "
                               "the best failure (incorrect outputs) scores")
    failure_step: float = Field(default=0.25, ge=0, description="how much lower each kind of failure further from "
                                "a correct kernel scores (0: every failure alike)")
    advantage_clip: float = Field(default=3.0, gt=0, description="clip of group-normalized rewards")
    epsilon: float = Field(default=1e-4, gt=0, description="added to a group's std before dividing")


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


def group_normalize(rewards: Sequence[float], config: RewardConfig | None = None) -> list[float]:
    """(r - mean) / (std + eps) over one group, clipped to +-`advantage_clip`; all-equal groups give zeros."""
    cfg = config or RewardConfig()
    if not rewards:
        return []
    mean = sum(rewards) / len(rewards)
    std = math.sqrt(sum((r - mean) ** 2 for r in rewards) / len(rewards))
    clip = cfg.advantage_clip
    return [max(-clip, min(clip, (r - mean) / (std + cfg.epsilon))) for r in rewards]


def rewards_for_groups(
    results: Sequence[EvalResult | None], group_size: int, config: RewardConfig | None = None
) -> list[float]:
    """Shaped, group-normalized, clipped rewards for verdicts laid out as consecutive groups of `group_size`.

    This is the whole reward outside a trainer (e.g. to score a batch of sampled kernels).
    """
    if group_size < 1 or len(results) % group_size:
        raise ValueError(f"{len(results)} results do not split into groups of {group_size}")
    shaped = [shaped_reward(r, config) for r in results]
    out: list[float] = []
    for start in range(0, len(shaped), group_size):
        out.extend(group_normalize(shaped[start:start + group_size], config))
    return out


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


def trl_reward_function(judge: Judge, config: RewardConfig | None = None) -> Callable[..., Awaitable[list[float]]]:
    """An async reward function with TRL's signature: `(prompts, completions, task_id, **kwargs) -> list[float]`.

    It returns shaped rewards without group normalization: GRPOTrainer normalizes per prompt group itself
    (`scale_rewards="group"`), and normalizing twice would clip before TRL sees the raw spread. The dataset
    must carry a `task_id` column (TRL passes dataset columns to reward functions as keyword arguments).
    """

    async def kernel_speedup_reward(prompts: list[Any], completions: list[Any], task_id: list[str],
                                    completion_ids: list[list[int]] | None = None,
                                    **_trainer_kwargs: Any) -> list[float]:
        verdicts = await judge(prompts, completions, task_id, completion_ids)
        rewards = [shaped_reward(v, config) for v in verdicts]
        warning = flat_rewards_warning(rewards, verdicts)
        if warning is not None:
            log.warning(warning)
        return rewards

    return kernel_speedup_reward
