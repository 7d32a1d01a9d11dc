"""Rewards: correctness gate, log-speedup shaping, group normalization, clipping, the TRL adapter."""

from __future__ import annotations

import asyncio
import math

import pytest

from evaluator.result import EvalResult, Reason, Stage, Status
from rl.rewards import RewardConfig, group_normalize, rewards_for_groups, shaped_reward, trl_reward_function


def _result(status: Status, speedup: float | None = None, ci: tuple[float, float] | None = None) -> EvalResult:
    return EvalResult(status=status, reason=Reason.ok, stage=Stage.done, speedup=speedup, platform="cpu",
                      speedup_ci=ci)


def test_gate_and_shape() -> None:
    assert shaped_reward(_result(Status.correct, 2.0)) == pytest.approx(math.log(2.0))
    assert shaped_reward(_result(Status.correct, 0.5)) == pytest.approx(-math.log(2.0))
    # A rejected or incorrect kernel earns nothing, however "fast" it was measured.
    assert shaped_reward(_result(Status.rejected, 50.0)) == 0.0
    assert shaped_reward(_result(Status.incorrect, 3.0)) == 0.0
    assert shaped_reward(None) == 0.0
    assert shaped_reward(_result(Status.unstable)) == 0.0
    assert shaped_reward(_result(Status.correct, None)) == 0.0
    assert shaped_reward(_result(Status.correct, 1000.0)) == pytest.approx(math.log(10.0))
    cfg = RewardConfig(incorrect_reward=-1.0, unstable_reward=0.1)
    assert shaped_reward(_result(Status.build_error), cfg) == -1.0
    assert shaped_reward(_result(Status.unstable), cfg) == 0.1


def test_a_wide_interval_earns_its_lower_end() -> None:
    # Narrow: the speedup itself. Wide (a busy machine): what the interval does support, its lower end.
    assert shaped_reward(_result(Status.correct, 4.0, (3.8, 4.2))) == pytest.approx(math.log(4.0))
    assert shaped_reward(_result(Status.correct, 4.0, (1.6, 8.5))) == pytest.approx(math.log(1.6))
    # Unstable (the interval straddles 1 and is wide): a correct kernel, rewarded for the speed it surely has.
    assert shaped_reward(_result(Status.unstable, None, (0.7, 2.5))) == pytest.approx(math.log(0.7))


def test_group_normalize_and_clip() -> None:
    assert group_normalize([1.0, 1.0, 1.0]) == [0.0, 0.0, 0.0]
    adv = group_normalize([0.0, 0.0, 0.0, math.log(2.0)])
    assert sum(adv) == pytest.approx(0.0, abs=1e-6) and adv[3] > 0 > adv[0]
    clipped = group_normalize([0.0] * 99 + [1.0], RewardConfig(advantage_clip=2.0))
    assert max(clipped) == 2.0
    out = rewards_for_groups([_result(Status.correct, 2.0), None, _result(Status.correct, 2.0), None], 2)
    assert out[0] == out[2] and out[0] > 0 > out[1] and out[1] == out[3]
    with pytest.raises(ValueError):
        rewards_for_groups([None, None, None], 2)


def test_trl_adapter_passes_task_ids_and_returns_shaped_rewards() -> None:
    seen: list[list[str]] = []

    async def judge(prompts: list[object], completions: list[object], task_ids: list[str],
                    completion_ids: list[list[int]] | None) -> list[EvalResult | None]:
        seen.append(task_ids)
        return [_result(Status.correct, 2.0) if "good" in str(c) else None for c in completions]

    reward = trl_reward_function(judge)
    completions = [[{"role": "assistant", "content": "good"}], [{"role": "assistant", "content": "bad"}]]
    values = asyncio.run(reward(prompts=["p", "p"], completions=completions, task_id=["t", "t"], trainer_state=None))
    assert values == [pytest.approx(math.log(2.0)), 0.0] and seen == [["t", "t"]]


def test_a_step_whose_rewards_are_all_zero_is_warned_about() -> None:
    from rl.rewards import flat_rewards_warning

    assert flat_rewards_warning([0.0, 0.0, 0.0], [None, None, None]) is not None
    warning = flat_rewards_warning([0.0, 0.0], [None, None])
    assert warning is not None and "2 no code" in warning and "teaches nothing" in warning
    assert flat_rewards_warning([0.0, 0.4], [None, None]) is None
    assert flat_rewards_warning([], []) is None
