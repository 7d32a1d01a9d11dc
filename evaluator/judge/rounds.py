"""One timed round on the judge's clock, and what the judge checks once the runner has answered it.

The judge writes the inputs into the runner's rx arena, starts its clock, asks for `n` calls, and stops the clock
when the answer arrives: the runner answers only once the device has synchronized and the last call's whole outputs
are in its tx arena (row 19). The judge then stops the runner where it stands (its cgroup's freezer), checks that it
did no work after its answer, and copies the outputs into its own memory before anything else happens. See
judge/timing.py for how rounds make a measurement.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch

from kernelwright.evaluator.judge.runner_process import RunnerProcess
from kernelwright.evaluator.runner import tensors
from kernelwright.evaluator.runner.protocol import Load, Round, TensorSpec
from kernelwright.evaluator.runner.tensors import WireError

Clock = Callable[[], float]
# The judge's clock: its own process, which never runs untrusted code.
CLOCK: Clock = time.perf_counter
# A round's deadline: this many times what its calls took before, and never less than the floor.
ROUND_FACTOR = 10.0
ROUND_FLOOR_S = 5.0
# How long a runner may take to stand still once it has answered (a process blocked reading its next command
# freezes in well under a millisecond).
FREEZE_S = 2.0
# CPU a runner may use between its answer and standing still: its own return to reading the next command, plus a
# scheduler tick of accounting that lags behind per thread. Work beyond it was deferred past the clock.
AFTER_REPLY_CPU_S = 0.01
AFTER_REPLY_SHARE = 0.05


class RoundFailed(Exception):
    """A timed round did not complete; `side` names which runner failed and `error` is what it raised."""

    def __init__(self, side: str, error: Exception) -> None:
        super().__init__(str(error))
        self.side, self.error = side, error


class DeferredWork(Exception):
    """The runner kept working after it answered a round (row 19): the output it answered with was not done."""


class InputsChanged(Exception):
    """The candidate changed its inputs during a timed round (row 6)."""


class RoundDeadline(Exception):
    """A round ran past its own deadline (its runner has been killed); `limit_s` is what it was given."""

    def __init__(self, limit_s: float, calls: int) -> None:
        super().__init__(f"a timed round of {calls} call(s) took longer than {limit_s:.1f} s")
        self.limit_s, self.calls = limit_s, calls


def collect_outputs(runner: RunnerProcess, specs: list[TensorSpec], deadline: float, elapsed: float,
                    expected: list[tuple[torch.Size, torch.dtype]] | None = None,
                    inputs: tuple[list[Any], list[Any]] | None = None) -> list[torch.Tensor]:
    """The round's whole outputs, copied into the judge's memory while the runner stands still.

    The runner is frozen first and its CPU time read on both sides of its answer: work after the answer (row 19)
    raises `DeferredWork`. `expected` (shapes and dtypes) is checked before a byte is read. With `inputs` (the
    specs and values the judge wrote), the inputs in rx are read back and must be unchanged (`InputsChanged`)."""
    cpu_at_reply = runner.cpu_seconds()
    if not runner.freeze(min(deadline, time.monotonic() + FREEZE_S)):
        runner.thaw()
        raise DeferredWork(f"the runner could not be stopped within {FREEZE_S:.0f} s of its answer")
    try:
        cpu_frozen = runner.cpu_seconds()
        if cpu_at_reply is not None and cpu_frozen is not None:
            allowed = AFTER_REPLY_CPU_S * max(runner.config.threads, 1) + AFTER_REPLY_SHARE * elapsed
            if cpu_frozen - cpu_at_reply > allowed:
                raise DeferredWork(f"the runner used {(cpu_frozen - cpu_at_reply) * 1e3:.1f} ms of CPU after "
                                   f"answering a {elapsed * 1e3:.1f} ms round: work deferred past the clock")
        if expected is not None and ([(list(s.shape), tensors.dtype_of(s)) for s in specs]
                                     != [(list(shape), dtype) for shape, dtype in expected]):
            raise WireError("a timed round answered with outputs of another count, shape or dtype")
        outputs = runner.read_outputs(specs)
        if inputs is not None:
            written, values = inputs
            now = runner.read_inputs(written)
            if any(isinstance(a, torch.Tensor) and not _same_bytes(a, b) for a, b in zip(values, now)):
                raise InputsChanged("the candidate modified its inputs during a timed round")
        return outputs
    finally:
        runner.thaw()


def _same_bytes(a: torch.Tensor, b: object) -> bool:
    if not isinstance(b, torch.Tensor) or a.shape != b.shape or a.dtype != b.dtype:
        return False
    return bool(torch.equal(a.contiguous().view(torch.uint8), b.contiguous().view(torch.uint8)))


def timed_round(runner: RunnerProcess, args: list[Any], calls: int, deadline: float, clock: Clock = CLOCK,
                expected: list[tuple[torch.Size, torch.dtype]] | None = None, check_inputs: bool = False,
                start: int = 0) -> tuple[float, list[torch.Tensor]]:
    """One round on the judge's clock: `calls` calls on inputs just written (from offset `start` of rx), ended by the
    last call's whole outputs. Returns (seconds, the outputs as the judge's own tensors); see `collect_outputs` for
    what is checked."""
    specs = runner.write_args(args, start)
    if specs != runner.loaded:
        runner.request(Load(args=specs), deadline)
        runner.loaded = specs
    began = clock()
    reply = runner.request(Round(calls=calls), deadline)
    elapsed = clock() - began
    return elapsed, collect_outputs(runner, reply.outputs, deadline, elapsed, expected,
                                    (specs, args) if check_inputs else None)


