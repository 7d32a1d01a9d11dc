"""Rewards: correct kernels above every failure, log-speedup shaping, group normalization, clipping, the TRL
adapter."""

from __future__ import annotations

import asyncio
import math

import pytest

from evaluator.result import EvalResult, Reason, Stage, Status
from rl.rewards import (
    Failure,
    RewardConfig,
    failure_reward,
    group_normalize,
    rewards_for_groups,
    shaped_reward,
    trl_reward_function,
)

LOWEST_CORRECT = -math.log(10.0)


def _result(status: Status, speedup: float | None = None, ci: tuple[float, float] | None = None,
            reason: Reason = Reason.ok, stage: Stage = Stage.done) -> EvalResult:
    return EvalResult(status=status, reason=reason, stage=stage, speedup=speedup, platform="cpu", speedup_ci=ci)


# One verdict of every way a candidate can fail, as the evaluator reports them.
FAILURES = [
    None,  # no code in the reply
    _result(Status.incorrect, reason=Reason.output_mismatch, stage=Stage.correctness),
    _result(Status.incorrect, 3.0, reason=Reason.nondeterministic, stage=Stage.correctness),
    _result(Status.runtime_error, reason=Reason.runtime_exception, stage=Stage.correctness),
    _result(Status.runtime_error, reason=Reason.harness_error, stage=Stage.timing),
    _result(Status.timeout, reason=Reason.wall_timeout, stage=Stage.timing),
    _result(Status.build_error, reason=Reason.compile_error, stage=Stage.build),
    _result(Status.build_error, reason=Reason.syntax_error, stage=Stage.static),
    _result(Status.build_ok_unverified, reason=Reason.ok, stage=Stage.build),
    _result(Status.rejected, 50.0, (45.0, 55.0), reason=Reason.above_peak, stage=Stage.sanity),
    _result(Status.rejected, reason=Reason.no_model_new, stage=Stage.static),
    _result(Status.rejected, reason=Reason.no_model_new, stage=Stage.build),
    _result(Status.refused, reason=Reason.task_error, stage=Stage.static),
]


def test_a_correct_slow_kernel_scores_above_every_failure() -> None:
    # The case: on main a correct 0.5x kernel scored log(0.5) < 0 and a build error 0, so failing paid.
    slow = shaped_reward(_result(Status.correct, 0.5, (0.48, 0.52)))
    assert slow == pytest.approx(-math.log(2.0))
    build_error = _result(Status.build_error, reason=Reason.compile_error, stage=Stage.build)
    assert slow > shaped_reward(build_error)
    # The slowest correct kernel there can be (clipped, or never timed) is still above the best failure.
    slowest = [_result(Status.correct, 0.001, (0.0009, 0.0011)), _result(Status.correct),
               _result(Status.unstable, None, (0.0, 0.0)), _result(Status.correct, float("nan"), (0.5, 0.6))]
    assert [shaped_reward(r) for r in slowest] == [pytest.approx(LOWEST_CORRECT)] * len(slowest)
    best_failure = max(shaped_reward(r) for r in FAILURES)
    assert best_failure < LOWEST_CORRECT
    # So it holds for any configuration: the clip moves the floor, and the failures move with it.
    for cfg in (RewardConfig(max_log_speedup=0.1), RewardConfig(max_log_speedup=5.0, failure_step=0.0)):
        assert max(shaped_reward(r, cfg) for r in FAILURES) < shaped_reward(slowest[0], cfg) == -cfg.max_log_speedup


def test_failures_are_ordered_by_how_close_they_came() -> None:
    def score(r: EvalResult | None) -> float:
        return shaped_reward(r)

    incorrect, unfinished, build, no_code, rejected = (failure_reward(f) for f in Failure)
    assert LOWEST_CORRECT - 0.5 == pytest.approx(incorrect) and incorrect > unfinished > build > no_code > rejected
    assert score(FAILURES[1]) == score(FAILURES[2]) == incorrect  # a measured speedup does not help a wrong kernel
    assert score(FAILURES[3]) == score(FAILURES[4]) == score(FAILURES[5]) == unfinished
    # CUDA compiled without a GPU ran nothing: never scored as correct, only as a kernel that built.
    assert score(FAILURES[8]) == unfinished
    assert score(FAILURES[6]) == score(FAILURES[7]) == build
    # No code, no ModelNew in the source, or nothing evaluated: no candidate.
    assert score(None) == score(FAILURES[10]) == score(FAILURES[12]) == no_code
    # A cheat scores lowest however fast it was measured; a ModelNew that is no nn.Module, found only after the
    # candidate's code ran, is no excuse either.
    assert score(FAILURES[9]) == score(FAILURES[11]) == rejected
    assert min(score(r) for r in FAILURES) == rejected
    flat = RewardConfig(failure_gap=1.0, failure_step=0.0)
    assert [shaped_reward(r, flat) for r in FAILURES] == [pytest.approx(LOWEST_CORRECT - 1.0)] * len(FAILURES)


def test_gate_and_shape() -> None:
    assert shaped_reward(_result(Status.correct, 2.0)) == pytest.approx(math.log(2.0))
    assert shaped_reward(_result(Status.correct, 0.5)) == pytest.approx(-math.log(2.0))
    assert shaped_reward(_result(Status.correct, 1000.0)) == pytest.approx(math.log(10.0))
    assert shaped_reward(_result(Status.correct, 2.0), RewardConfig(max_log_speedup=0.5)) == 0.5
    # Correct but never timed (or timing gave nothing): the lower end of an unknown speed is 0, the clip's floor.
    assert shaped_reward(_result(Status.unstable)) == pytest.approx(LOWEST_CORRECT)
    assert shaped_reward(_result(Status.correct, None)) == pytest.approx(LOWEST_CORRECT)


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
    assert values == [pytest.approx(math.log(2.0)), failure_reward(Failure.no_candidate)] and seen == [["t", "t"]]


def test_a_step_whose_rewards_are_all_equal_is_warned_about() -> None:
    from rl.rewards import flat_rewards_warning

    assert flat_rewards_warning([0.0, 0.0, 0.0], [None, None, None]) is not None
    no_code = failure_reward(Failure.no_candidate)
    warning = flat_rewards_warning([no_code, no_code], [None, None])
    assert warning is not None and "2 no code" in warning and "teaches nothing" in warning
    assert flat_rewards_warning([0.0, 0.4], [None, None]) is None
    assert flat_rewards_warning([no_code, LOWEST_CORRECT], [None, _result(Status.correct)]) is None
    assert flat_rewards_warning([], []) is None
