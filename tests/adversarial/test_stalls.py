"""Row 21 and the exit masquerade, beyond what `test_reward_hacks.py`'s table asserts: a death by signal is told from
an exit status that only looks like one, jailed and unjailed; and the watchdog kills a jailed runner at its deadline
while the judge is blocked somewhere no deadline of its own reaches.
"""

from __future__ import annotations

import time

import pytest
from adversarial_support import assert_verdict, fast_options, kernel_source, suite_task

from kernelwright.evaluator.api import evaluate
from kernelwright.evaluator.jail.limits import Limits
from kernelwright.evaluator.judge.runner_process import RunnerConfig, RunnerProcess, RunnerTimeout
from kernelwright.evaluator.result import Reason, Stage, Status
from kernelwright.tasks.model import Task

EXIT = "raw(SYS_exit_group, 137)"


@pytest.fixture(scope="module")
def relu() -> Task:
    return suite_task("activation/relu")


def test_a_sigkill_of_its_own_is_a_crash_not_out_of_memory(relu: Task) -> None:
    source = kernel_source("row16_exit_code_masquerade", {EXIT: "raw(SYS_kill, raw(SYS_getpid), 9)"})
    result = evaluate(relu, source, "cpu", fast_options())
    assert_verdict(result, Status.runtime_error, Reason.crashed, "SIGKILL")
    assert "no OOM kill" in result.message and result.stage is Stage.correctness


def test_unjailed_an_exit_status_is_what_it_says(relu: Task) -> None:
    result = evaluate(relu, kernel_source("row16_exit_code_masquerade"), "cpu", fast_options(unsafe_no_jail=True))
    assert_verdict(result, Status.runtime_error, Reason.crashed, "exited with code 137")


@pytest.mark.timeout(120)
def test_the_watchdog_kills_a_runner_the_judge_is_not_waiting_on() -> None:
    config = RunnerConfig(platform="cpu", threads=1, limits=Limits(memory_mb=2048, cpu_seconds=600,
                                                                   max_processes=64, max_file_mb=64),
                          arena_bytes=2**24)
    runner = RunnerProcess(config)
    try:
        runner.wait_ready(time.monotonic() + 90)
        runner.expires(time.monotonic() + 0.5)
        # A wait with no deadline at all (what a lock or an unforeseen read would be): it ends when the runner dies.
        runner.channel.sock.settimeout(None)
        assert runner.channel.sock.recv(1) == b""
        assert runner.watchdog.fired
        assert isinstance(runner._gone(), RunnerTimeout), "a runner the watchdog killed is a timeout, not a crash"
    finally:
        runner.kill()
    assert not runner.alive and runner.child.cgroup.pids() == []
    thread = runner.watchdog._thread
    assert thread is not None and not thread.is_alive(), "the watchdog outlived its runner"
