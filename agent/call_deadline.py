"""The deadline of a call to an evaluator actor, and the verdict a caller gets when the actor misses it.

An evaluation has its own deadline (`EvalOptions.timeout_s`), inside the actor; the call waits that long plus
`CALL_MARGIN_S` for what happens outside it. An actor that has not answered by then is killed (`EvaluatorPool._call`),
and the caller gets a timeout verdict in place of the answer: an RL rollout or a search never waits for ever.
"""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

from kernelwright.evaluator import BaselineResult, EvalOptions, EvalResult
from kernelwright.evaluator.baseline_result import BaselineStatus
from kernelwright.evaluator.hashing import normalized_hash
from kernelwright.evaluator.platforms.base import HardwareInfo
from kernelwright.evaluator.result import Reason, Stage, Status
from kernelwright.tasks.model import Task

# What an evaluation does outside its own deadline (static checks, the platform's warm-up with a first build of
# its precompiled header, the judge's start) and Ray's transport.
CALL_MARGIN_S = 120.0


class Site(Protocol):
    """Where an evaluator runs, as far as a timed-out call's verdict says (`agent.evaluators.EvaluatorSite`)."""

    @property
    def hardware(self) -> HardwareInfo: ...


SiteT = TypeVar("SiteT", bound=Site)


class CallTimedOut(Exception, Generic[SiteT]):
    """An evaluator did not answer a call by its deadline; it has been killed."""

    def __init__(self, seconds: float, site: SiteT) -> None:
        super().__init__(f"no answer from the evaluator within {seconds:.0f} s")
        self.seconds, self.site = seconds, site


def call_timeout_s(options: EvalOptions) -> float:
    """How long a call with `options` waits for its evaluator."""
    return options.timeout_s + CALL_MARGIN_S


def timed_out_evaluation(task: Task, source: str, platform: str, options: EvalOptions, late: CallTimedOut[Site]) -> \
        EvalResult:
    """The verdict of an evaluation whose evaluator missed the call's deadline."""
    return EvalResult(status=Status.timeout, reason=Reason.wall_timeout, stage=Stage.build, platform=platform,
                      message=f"{late}: the evaluator was killed (the evaluation's own deadline was "
                              f"{options.timeout_s:.0f} s)",
                      hardware=late.site.hardware.description, allow_torch=options.allow_torch, task_id=task.id,
                      task_hash=task.source_hash, candidate_hash=normalized_hash(source),
                      jailed=not options.unsafe_no_jail, tolerance=options.tolerance, wall_seconds=late.seconds)


def timed_out_baselines(task: Task, platform: str, options: EvalOptions, late: CallTimedOut[Site]) -> \
        BaselineResult:
    """The answer of a baseline measurement whose evaluator missed the call's deadline."""
    return BaselineResult(status=BaselineStatus.error, message=f"{late}: the evaluator was killed", platform=platform,
                          hardware=late.site.hardware.description, task_id=task.id, task_hash=task.source_hash,
                          jailed=not options.unsafe_no_jail, tolerance=options.tolerance, wall_seconds=late.seconds)
