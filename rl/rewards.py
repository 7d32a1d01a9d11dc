"""Rewards for RL on kernels: the evaluator's speedup, gated on correctness, shaped, group-normalized, clipped.

The pure functions here work on evaluator verdicts (`EvalResult`, or None for a reply without code) and need
no trainer: `shaped_reward` scores one verdict, `group_normalize` turns a group of scores (the completions of
one prompt) into advantages, `rewards_for_groups` does both. `trl_reward_function` adapts a judge to TRL's
reward-function signature `(prompts, completions, **kwargs) -> list[float]`.

Shaping: `log(speedup)`, clipped to `[-max_log, max_log]`. Log makes a 2x gain and a 2x loss symmetric and
keeps a lucky 50x (or a mis-timed one) from drowning every other signal; the clip bounds it anyway.
Gating: anything but a correct kernel scores `incorrect_reward` (0 by default).
Noise: where the speedup's 95% interval is wide (wider than half the speedup: a busy machine), the reward is
`log` of the interval's lower end instead, what the measurement does support. That holds for `unstable` too:
the kernel is correct, only its speed is uncertain, so it earns the lower bound rather than nothing. A correct
kernel the platform could not time at all (no interval) scores `unstable_reward` (0 by default).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pydantic import BaseModel, Field

from evaluator.result import EvalResult, Status

log = logging.getLogger("kernelwright.train")


class RewardConfig(BaseModel):
    """How verdicts become rewards."""

    incorrect_reward: float = Field(default=0.0, description="for every verdict but correct (and no code)")
    unstable_reward: float = Field(default=0.0, description="correct, but not timed (no interval)")
    max_log_speedup: float = Field(default=math.log(10.0), gt=0, description="clip of log(speedup)")
    advantage_clip: float = Field(default=3.0, gt=0, description="clip of group-normalized rewards")
    epsilon: float = Field(default=1e-4, gt=0, description="added to a group's std before dividing")


def shaped_reward(result: EvalResult | None, config: RewardConfig | None = None) -> float:
    """The reward of one verdict: clipped log-speedup when correct and timed, else the gated constant.

    `None` (no code in the reply, or nothing to evaluate) scores like an incorrect kernel.
    """
    cfg = config or RewardConfig()
    if result is None or result.status not in (Status.correct, Status.unstable):
        return cfg.incorrect_reward
    lo = result.speedup_ci[0] if result.speedup_ci is not None else None
    if result.status is Status.unstable or result.interval_wide:
        value = lo
    else:
        value = result.speedup
    if value is None or not math.isfinite(value) or value <= 0:
        return cfg.unstable_reward
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
    """A warning when every reward of a step is zero: the group advantages are all zero, so the step cannot
    change the model; None otherwise."""
    if not rewards or any(r != 0.0 for r in rewards):
        return None
    said: dict[str, int] = {}
    for verdict in verdicts:
        key = "no code" if verdict is None else verdict.status.value
        said[key] = said.get(key, 0) + 1
    tally = ", ".join(f"{n} {key}" for key, n in sorted(said.items(), key=lambda item: -item[1]))
    return (f"every reward of this step is 0 ({tally}): no completion was a correct, timed kernel, so this step "
            "teaches nothing; try more --generations, a higher --temperature, easier tasks or an SFT start")


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
