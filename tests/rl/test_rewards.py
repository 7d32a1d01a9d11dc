"""Rewards: correct kernels above every failure, log-speedup shaping and clipping, the registry of named reward
functions and their weights, the TRL adapter (one judge call per completion however many functions)."""

from __future__ import annotations

import asyncio
import math
import re

import pytest
from pydantic import ValidationError

from kernelwright.evaluator.result import EvalResult, Reason, Stage, Status
from kernelwright.rl.rewards import (
    REWARD_FUNCTIONS,
    Failure,
    Judged,
    RewardConfig,
    TrlRewards,
    failure_reward,
    shaped_reward,
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


def test_a_step_whose_rewards_are_all_equal_is_warned_about() -> None:
    from kernelwright.rl.rewards import flat_rewards_warning

    assert flat_rewards_warning([0.0, 0.0, 0.0], [None, None, None]) is not None
    no_code = failure_reward(Failure.no_candidate)
    warning = flat_rewards_warning([no_code, no_code], [None, None])
    assert warning is not None and "2 no code" in warning and "teaches nothing" in warning
    assert flat_rewards_warning([0.0, 0.4], [None, None]) is None
    assert flat_rewards_warning([no_code, LOWEST_CORRECT], [None, _result(Status.correct)]) is None
    assert flat_rewards_warning([], []) is None


KERNEL = "import torch\nclass ModelNew(torch.nn.Module):\n    pass\n"
WELL_FORMED = f"Plan: fuse.\n```python\n{KERNEL}```\n"


def _judged(verdict: EvalResult | None, reply: str = WELL_FORMED) -> Judged:
    return Judged(verdict, reply)


def test_the_registry_names_each_function_and_the_default_is_speedup() -> None:
    assert set(REWARD_FUNCTIONS) == {"speedup", "correct", "format"}
    assert RewardConfig().functions == {"speedup": 1.0}
    for name, function in REWARD_FUNCTIONS.items():
        assert function.__doc__, f"{name} says what it rewards and why"


@pytest.mark.parametrize("functions, says", [
    ({"speedup": 1.0, "speed": 0.5}, "unknown reward function 'speed'; known: speedup, correct, format"),
    ({"speedup": float("inf")}, "the weight of speedup is not a finite number"),
    ({"speedup": float("nan"), "correct": 1.0}, "the weight of speedup is not a finite number"),
    ({}, "at least one reward function a non-zero weight"),
    ({"speedup": 0.0, "correct": 0.0}, "at least one reward function a non-zero weight"),
])
def test_bad_reward_functions_are_refused_with_what_is_allowed(functions: dict[str, float], says: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(says)):
        RewardConfig(functions=functions)


def test_speedup_is_the_shaped_reward_of_the_verdict() -> None:
    speedup = REWARD_FUNCTIONS["speedup"]
    config = RewardConfig(max_log_speedup=1.0)
    for verdict in [*FAILURES, _result(Status.correct, 2.0), _result(Status.correct, 50.0, (45.0, 55.0))]:
        assert speedup(_judged(verdict), config) == shaped_reward(verdict, config)


def test_correct_scores_correct_and_unstable_verdicts_one_and_every_failure_zero() -> None:
    correct = REWARD_FUNCTIONS["correct"]
    cfg = RewardConfig()
    assert correct(_judged(_result(Status.correct, 0.1)), cfg) == 1.0
    assert correct(_judged(_result(Status.unstable, None, (0.7, 2.5))), cfg) == 1.0
    assert [correct(_judged(v), cfg) for v in FAILURES] == [0.0] * len(FAILURES)


@pytest.mark.parametrize("reply, score", [
    (WELL_FORMED, 1.0),
    (f"```py\n{KERNEL}```", 1.0),
    (f"```Python\n{KERNEL}```", 1.0),
    (f"```python\n{KERNEL}", 0.0),  # cut off by the token limit: never closed
    (f"```\n{KERNEL}```", 0.0),  # no language tag
    (f"```cpp\n{KERNEL}```", 0.0),
    ("```python\nclass Model(torch.nn.Module):\n    pass\n```", 0.0),  # no ModelNew
    (f"```python\n{KERNEL}```\nand again:\n```python\n{KERNEL}```", 0.0),  # the prompt asks for exactly one
    (f"```python\n{KERNEL}```\n```cpp\nint f();\n```", 0.0),
    (KERNEL, 0.0),  # not fenced
    ("", 0.0),
])
def test_format_rewards_exactly_one_closed_python_block_defining_model_new(reply: str, score: float) -> None:
    # The verdict does not matter: the form of the reply is what is rewarded.
    assert REWARD_FUNCTIONS["format"](_judged(None, reply), RewardConfig()) == score
    assert REWARD_FUNCTIONS["format"](_judged(_result(Status.correct, 2.0), reply), RewardConfig()) == score


class CountingJudge:
    """A judge that records each call; a reply holding `good` gets a correct 2x verdict, else no code."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    async def __call__(self, prompts: list[object], completions: list[object], task_ids: list[str],
                       completion_ids: list[list[int]] | None) -> list[EvalResult | None]:
        self.calls.append(task_ids)
        await asyncio.sleep(0)  # let the other reward functions run meanwhile, as TRL's gather does
        return [_result(Status.correct, 2.0) if "good" in str(c) else None for c in completions]


def _completions(*texts: str) -> list[list[dict[str, str]]]:
    return [[{"role": "assistant", "content": text}] for text in texts]


async def _step(functions: list[object], completions: list[list[dict[str, str]]]) -> list[list[float]]:
    """One TRL step's reward calls: every function with the same lists and TRL's extra keywords, concurrently."""
    prompts, task_ids = ["p"] * len(completions), ["t"] * len(completions)
    return list(await asyncio.gather(*(f(prompts=prompts, completions=completions, task_id=task_ids,  # type: ignore[operator]
                                         completion_ids=None, trainer_state=None, log_metric=None)
                                       for f in functions)))


def test_the_judge_runs_once_per_completion_however_many_functions_read_its_verdict() -> None:
    judge = CountingJudge()
    rewards = TrlRewards(judge, RewardConfig(functions={"speedup": 1.0, "correct": 0.5, "format": 0.25}))
    functions = rewards.functions
    # TRL names each function's logs (`rewards/NAME/mean`) after its `__name__`.
    assert [f.__name__ for f in functions] == ["speedup", "correct", "format"] == rewards.names
    assert rewards.weights == [1.0, 0.5, 0.25]
    good = f"good\n```python\n{KERNEL}```"
    first = _completions(good, "bad")
    per_function = asyncio.run(_step(functions, first))
    assert judge.calls == [["t", "t"]]
    assert per_function == [[pytest.approx(math.log(2.0)), failure_reward(Failure.no_candidate)], [1.0, 0.0],
                            [1.0, 0.0]]
    # The next step's completions are judged afresh, even when their texts repeat.
    asyncio.run(_step(functions, _completions(good, "bad")))
    assert len(judge.calls) == 2 and len(rewards.totals) == 4


def test_the_totals_are_the_weighted_sum_trl_trains_on() -> None:
    import torch

    weights = {"speedup": 1.0, "correct": 0.5, "format": -0.25}
    rewards = TrlRewards(CountingJudge(), RewardConfig(functions=weights))
    completions = _completions(f"good\n```python\n{KERNEL}```", "bad", f"bad\n```python\n{KERNEL}```")
    per_function = asyncio.run(_step(rewards.functions, completions))
    # GRPOTrainer (multi_objective_aggregation="sum_then_normalize"): a (completions x functions) tensor times the
    # reward_weights row, summed per completion, before the group normalization.
    rewards_per_func = torch.tensor(per_function, dtype=torch.float32).T
    trl = (rewards_per_func * torch.tensor(rewards.weights).unsqueeze(0)).nansum(dim=1)
    assert rewards.totals == pytest.approx(trl.tolist(), abs=1e-6)
    assert rewards.totals[0] == pytest.approx(math.log(2.0) + 0.5 - 0.25)


def test_a_step_with_equal_totals_is_warned_about_once(caplog: pytest.LogCaptureFixture) -> None:
    rewards = TrlRewards(CountingJudge(), RewardConfig(functions={"speedup": 1.0, "correct": 1.0}))
    with caplog.at_level("WARNING", logger="kernelwright.train"):
        asyncio.run(_step(rewards.functions, _completions("bad", "bad")))
    assert [r.getMessage().count("teaches nothing") for r in caplog.records] == [1]
