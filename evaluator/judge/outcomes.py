"""How what happened to a runner becomes part of a verdict: its reported failures, its exit, its timeout.

Every fact used here is the judge's or the kernel's: a failure report (which only ever lowers the runner's own
verdict), the exit status of the process, the cgroup's OOM count, the judge's clock, the frames it refused.
Running out of memory is the cgroup's OOM count and nothing else: a SIGKILL the judge did not send (its own kills
are timeouts) and the cgroup did not count is a crash, whoever sent it.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass

from kernelwright.evaluator.judge.runner_process import RunnerBreach, RunnerGone
from kernelwright.evaluator.result import Reason, Stage, Status
from kernelwright.evaluator.runner.protocol import Failure

# What the judge knows about a signal that killed a runner, beyond its name.
_SIGNAL_HINTS = {
    int(signal.SIGKILL): " (no OOM kill was counted: not by its memory limit)",
    int(signal.SIGSYS): " (a system call the jail forbids, such as an exit status of 128 or more)",
}


@dataclass
class Ending:
    """A verdict's status, reason and message, before the judge adds its measurements."""

    status: Status
    reason: Reason
    message: str
    log: str = ""


class Ended(Exception):
    """Stops an evaluation with `ending`."""

    def __init__(self, ending: Ending) -> None:
        super().__init__(ending.message)
        self.ending = ending


def from_failure(failure: Failure) -> Ending:
    """A runner's failure as part of a verdict: only ever a failing one (the protocol refuses the rest; this holds
    even for a `Failure` built in-process)."""
    if failure.status in (Status.correct, Status.unstable, Status.build_ok_unverified) or failure.reason is Reason.ok:
        return Ending(Status.rejected, Reason.harness_tamper, f"the runner claimed a verdict ({failure.status.value}) "
                      "that only the judge can give")
    return Ending(failure.status, failure.reason, failure.message, failure.log)


def from_exit(gone: RunnerGone, stage: Stage, who: str = "the candidate") -> Ending:
    """A runner that broke the protocol, or died: out of memory (the cgroup counted an OOM kill), a signal, or an
    exit without an answer."""
    if isinstance(gone, RunnerBreach):
        return Ending(Status.rejected, Reason.protocol_violation, f"{who}'s runner broke the protocol during "
                      f"{stage.value}: {gone.why}; the judge stopped it there")
    if gone.oom:
        return Ending(Status.runtime_error, Reason.out_of_memory, f"{who} ran out of memory during {stage.value} "
                      "(killed by the memory limit)")
    sig = gone.signal_number
    if sig == signal.SIGXCPU:
        return Ending(Status.timeout, Reason.wall_timeout, f"CPU time limit exceeded during {stage.value}")
    if sig is not None:
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else f"signal {sig}"
        why = _SIGNAL_HINTS.get(int(sig), "")
        return Ending(Status.runtime_error, Reason.crashed, f"{who} crashed with {name} during {stage.value}{why}")
    return Ending(Status.runtime_error, Reason.crashed, f"{who}'s process {gone.why} during {stage.value} without "
                  "an answer")


def timed_out(timeout_s: float, stage: Stage) -> Ending:
    return Ending(Status.timeout, Reason.wall_timeout, f"no verdict within {timeout_s:.0f} s during {stage.value}; "
                  "killed")


def task_failed(message: str) -> Ending:
    """The task's own reference failed while judging a candidate: not the candidate's doing."""
    return Ending(Status.runtime_error, Reason.task_error, f"the task's reference failed: {message}")
