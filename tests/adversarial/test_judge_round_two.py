"""The judge, round two (rows 19-21 of docs/reward-hacks.md) where one fixed verdict does not say enough: a stalled
candidate's cost to another evaluation running beside it, and an attack whose way of failing depends on the race it
loses. The other verdicts are in test_reward_hacks.py."""

from __future__ import annotations

import fcntl
import os
import threading
import time

import pytest
from adversarial_support import RELU_SOLUTION, fast_options, kernel_source, suite_task

from kernelwright.evaluator.api import evaluate, timing_lock_path
from kernelwright.evaluator.result import EvalResult, Reason, Stage, Status


def _lock_held(path: str) -> bool:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops a lock this probe took
    return False


# quiet: the honest evaluation's bound counts the staller's one round; another test's evaluations holding the same
# machine-wide timing lock would add theirs.
@pytest.mark.quiet
def test_a_stalled_round_delays_another_evaluation_by_one_round_at_most() -> None:
    """Row 21: the staller holds the machine's timing lock for one round, killed at that round's deadline; an honest
    evaluation that starts while it stalls still gets its verdict well inside its own deadline."""
    gelu, relu = suite_task("activation/gelu"), suite_task("activation/relu")
    results: dict[str, EvalResult] = {}

    def staller() -> None:
        results["staller"] = evaluate(gelu, kernel_source("row21_stall_in_timed_call"), "cpu",
                                      fast_options(timing=True, buckets=3, timeout_s=90))
    thread = threading.Thread(target=staller)
    thread.start()
    lock = str(timing_lock_path("cpu"))
    waited = time.monotonic()
    while not _lock_held(lock):  # the staller's first timed round has begun
        assert thread.is_alive() and time.monotonic() - waited < 120, results.get("staller")
        time.sleep(0.05)
    start = time.monotonic()
    honest = evaluate(relu, RELU_SOLUTION.read_text(), "cpu", fast_options(timing=True, buckets=3, timeout_s=45))
    honest_s = time.monotonic() - start
    thread.join(120)
    assert honest.status in (Status.correct, Status.unstable), honest.message
    assert honest_s < 45, f"the honest evaluation took {honest_s:.0f} s"
    stalled = results["staller"]
    assert stalled.status is Status.timeout and stalled.reason is Reason.wall_timeout, stalled.message
    assert stalled.stage is Stage.timing and "timed round" in stalled.message, stalled.message


def test_pages_filled_on_a_fault_never_pass_for_a_fast_kernel() -> None:
    """Row 19: the output's pages are filled by a fault handler and a thread after the answer. The runner's copy of
    every output byte inside the clock either fills them there (the work is timed), crashes or stalls the round
    (killed at its deadline): however it goes, no correct verdict and no speedup."""
    result = evaluate(suite_task("activation/gelu"), kernel_source("row19_deferred_faulting_pages"), "cpu",
                      fast_options(timing=True, buckets=6, min_bucket_ms=5.0))
    slow = result.status is Status.correct and result.speedup_ci is not None and result.speedup_ci[1] < 1.0
    assert slow or result.status not in (Status.correct, Status.unstable), result.message
    assert result.stage is Stage.timing, result.message
