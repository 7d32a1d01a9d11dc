"""The README's table of verdict -> reward says what `rl.rewards.shaped_reward` does: each row's formula and
default value are computed from the code's defaults, for verdicts of the statuses the row names, and every
status has its row. Its table of reward functions names exactly the registry's."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from kernelwright.evaluator.result import EvalResult, Reason, Stage, Status
from kernelwright.rl.rewards import REWARD_FUNCTIONS, RewardConfig, shaped_reward

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
HEADER = "| verdict | reward | default |"
DEFAULTS = RewardConfig()


def _result(status: Status, speedup: float | None = None, ci: tuple[float, float] | None = None,
            reason: Reason = Reason.ok, stage: Stage = Stage.done) -> EvalResult:
    return EvalResult(status=status, reason=reason, stage=stage, speedup=speedup, speedup_ci=ci, platform="cpu")


def _failures(*statuses: Status) -> list[EvalResult | None]:
    return [_result(status, reason=Reason.output_mismatch, stage=Stage.correctness) for status in statuses]


# Per row of the table, in order: the names it puts in backticks, and verdicts that row stands for. A row's
# verdicts span its whole range of rewards (the README gives the ends of a range).
ROWS: list[tuple[set[str], list[EvalResult | None]]] = [
    ({"correct"}, [_result(Status.correct, s, (0.98 * s, 1.02 * s)) for s in (0.01, 0.5, 1.0, 3.0, 50.0)]),
    ({"correct", "unstable"}, [_result(Status.correct, 4.0, (0.001, 9.0)), _result(Status.correct, 4.0, (1.6, 8.5)),
                               _result(Status.unstable, None, (0.7, 2.5)), _result(Status.correct, 90.0, (30, 200))]),
    ({"correct", "unstable"}, [_result(Status.correct), _result(Status.unstable)]),
    ({"incorrect"}, _failures(Status.incorrect)),
    ({"runtime_error", "timeout", "build_ok_unverified"},
     _failures(Status.runtime_error, Status.timeout, Status.build_ok_unverified)),
    ({"build_error"}, _failures(Status.build_error)),
    ({"refused", "rejected", "no_model_new"},
     [None, *_failures(Status.refused), _result(Status.rejected, reason=Reason.no_model_new, stage=Stage.static)]),
    ({"rejected"}, [_result(Status.rejected, 20.0, (19.0, 21.0), Reason.timer_patch, Stage.static),
                    *_failures(Status.rejected)]),
]


def _table(header: str = HEADER) -> list[list[str]]:
    lines = README.split(header, 1)[1].splitlines()[2:]  # past the header's own line and the separator
    rows: list[list[str]] = []
    for line in lines:
        if not line.strip().startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def _formula(text: str) -> float | None:
    """The value of a failure row's formula (`-L - gap - 2 step`) with the code's defaults; None for a log row."""
    if "log(" in text:
        return None
    match = re.fullmatch(r"-L(?: - gap)?(?: - (\d+ )?step)?", text)
    assert match is not None, f"unreadable formula {text!r}"
    steps = 0 if "step" not in text else int(match.group(1) or 1)
    return -DEFAULTS.max_log_speedup - (DEFAULTS.failure_gap if "gap" in text else 0.0) - steps * DEFAULTS.failure_step


def test_the_readme_names_the_code_s_defaults() -> None:
    prose = " ".join(README.split())
    assert f"`failure_gap` (default {DEFAULTS.failure_gap:g})" in prose
    assert f"`failure_step` (default {DEFAULTS.failure_step:g})" in prose
    assert f"`max_log_speedup` (default log(10) = {DEFAULTS.max_log_speedup:.3f})" in prose
    assert DEFAULTS.max_log_speedup == pytest.approx(math.log(10.0))


def test_the_readme_reward_table_matches_the_reward_function() -> None:
    table = _table()
    assert len(table) == len(ROWS), [row[0] for row in table]
    named: set[str] = set()
    for (verdict, formula, default), (names, verdicts) in zip(table, ROWS):
        assert set(re.findall(r"`(\w+)`", verdict)) == names, verdict
        named |= names
        rewards = [shaped_reward(v) for v in verdicts]
        ends = [float(x) for x in default.split(" ... ")]
        assert min(rewards) == pytest.approx(ends[0], abs=5e-4) and max(rewards) == pytest.approx(ends[-1], abs=5e-4)
        if (value := _formula(formula)) is not None:
            assert rewards == [pytest.approx(value)] * len(rewards), verdict
        else:
            assert all(-DEFAULTS.max_log_speedup <= r <= DEFAULTS.max_log_speedup for r in rewards)
    assert {s.value for s in Status} <= named, "every status has its row"
    # Read down the table, rewards never rise: every correct kernel above every failure, a cheat lowest.
    lows = [min(shaped_reward(v) for v in verdicts) for _, verdicts in ROWS[2:]]
    assert lows == sorted(lows, reverse=True) and len(set(lows)) == len(lows)


def test_the_readme_names_every_reward_function_and_the_default() -> None:
    assert [row[0] for row in _table("| function | scores | why |")] == [f"`{name}`" for name in REWARD_FUNCTIONS]
    assert "default `speedup: 1.0`" in " ".join(README.split()) and RewardConfig().functions == {"speedup": 1.0}
