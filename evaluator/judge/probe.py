"""The task probe, judged: a task file (possibly a stranger's) runs only in a jailed reference runner.

The runner imports the task, builds its model and runs it on two seeds and every input group; it reports outputs
and failures. The judge decides: outputs that are not tensors, a degenerate reference (row 7), inputs that do not
vary, and the eager time (on its own clock). The task's own error text comes back (it is how an author learns
what is wrong), but it was produced inside the jail, which holds no host file and no secret to echo.
"""

from __future__ import annotations

import time
from statistics import median

import torch

from kernelwright.evaluator.judge.rounds import DeferredWork, timed_round
from kernelwright.evaluator.judge.runner_process import (
    RunnerConfig,
    RunnerFailed,
    RunnerGone,
    RunnerProcess,
    RunnerTimeout,
)
from kernelwright.evaluator.result import Reason
from kernelwright.evaluator.runner import tensors
from kernelwright.evaluator.runner.protocol import Call, MakeInputs, Role, Setup
from kernelwright.tasks.degenerate import degenerate_reason
from kernelwright.tasks.errors import TaskProblem
from kernelwright.tasks.model import Task
from kernelwright.tasks.probe_result import ProbeResult

EAGER_ROUNDS = 5
# A sizing probe stops after its first calls when even the faster of these is this many times the eager budget:
# the size is refused anyway, and a probe at a size ten times too large costs 10-20 s (inputs made twice, every
# group run, five eager rounds) where its first calls say all the importer needs. Twice the budget leaves room for
# a first call's warm-up, so no size the whole probe would accept is stopped.
SCOUT_MARGIN = 2.0
# A first call this many times the budget is taken alone: a warm-up (first touch of the weights, a library's first
# plan) costs milliseconds against seconds there, and a second call of a size 100x too large is 5-7 s of an import.
SCOUT_ALONE = 20.0


class _Refused(Exception):
    def __init__(self, problem: str, kind: TaskProblem = TaskProblem.load_error) -> None:
        super().__init__(problem)
        self.kind = kind


def _inputs(runner: RunnerProcess, seed: int, deadline: float, arena: int,
            first_only: bool = False) -> list[list[object]]:
    reply = runner.request(MakeInputs(seed=seed, first_only=first_only), deadline)
    try:
        tensors.check_total([a.tensor for g in reply.groups for a in g if a.tensor is not None], arena)
        return [tensors.read_args(runner.tx, group, arena) for group in reply.groups]
    except tensors.WireError as exc:
        kind = TaskProblem.out_of_memory if isinstance(exc, tensors.ArenaFull) else TaskProblem.load_error
        raise _Refused(f"its inputs could not be read ({exc})", kind) from exc


def _outputs(runner: RunnerProcess, args: list[object], deadline: float, read: bool = True,
             ops: list[str] | None = None) -> list[torch.Tensor]:
    """The reference's outputs for `args`; with `read=False` it only runs (the judge keeps what it checks, no more).
    With `ops`, the runner also names the ATen operators it dispatched, which are appended there."""
    reply = runner.request(Call(args=runner.write_args(args), where="probe", record_ops=ops is not None), deadline)
    if not reply.outputs:
        raise _Refused("Model.forward returned no tensor")
    if ops is not None:
        ops.extend(reply.ops)
    if not read:
        return []
    try:
        return runner.read_outputs(reply.outputs)
    except tensors.WireError as exc:
        kind = TaskProblem.out_of_memory if isinstance(exc, tensors.ArenaFull) else TaskProblem.load_error
        raise _Refused(f"its outputs could not be read ({exc})", kind) from exc


def _scout_ms(runner: RunnerProcess, deadline: float, arena: int, budget_ms: float) -> float | None:
    """A single call on the first input group, on the judge's clock, in ms: the faster of two unless the first
    alone is `SCOUT_ALONE` times the budget. None when they fail (the whole probe then runs and says why, in the
    words it always has)."""
    try:
        [first] = _inputs(runner, 1, deadline, arena, first_only=True)
        seconds = timed_round(runner, first, 1, deadline)[0]
        if seconds * 1e3 <= SCOUT_ALONE * budget_ms:
            seconds = min(seconds, timed_round(runner, first, 1, deadline)[0])
        return seconds * 1e3
    except (RunnerFailed, _Refused, DeferredWork, ValueError):
        return None


def probe_task(task: Task, platform: str, config: RunnerConfig, timeout_s: float,
               size_budget_ms: float | None = None) -> ProbeResult:
    """Every check of a task, with its code confined to a jailed runner.

    With `size_budget_ms` (an import sizing the task), a size whose first calls already take `SCOUT_MARGIN` times
    the budget is refused as `too_slow` with that time, before the rest of the checks."""
    deadline = time.monotonic() + timeout_s
    limit_mb = config.limits.memory_mb
    runner = RunnerProcess(config)
    ops: list[str] = []
    try:
        runner.request(Setup(role=Role.reference, task_id=task.id, task_source=task.source, platform=platform,
                             threads=config.threads, seed=0), deadline)
        if size_budget_ms is not None:
            scout = _scout_ms(runner, deadline, config.arena_bytes, size_budget_ms)
            if scout is not None and scout > SCOUT_MARGIN * size_budget_ms:
                return ProbeResult(ok=False, kind=TaskProblem.too_slow, eager_ms=scout,
                                   problem=f"eager {scout:.0f} ms at this size, over the budget of "
                                           f"{size_budget_ms:.0f} ms (stopped at its first calls)")
        groups_a = _inputs(runner, 1, deadline, config.arena_bytes)
        groups_b = _inputs(runner, 2, deadline, config.arena_bytes, first_only=True)  # only its group 0 is used
        if not groups_a or not groups_b:
            raise _Refused("get_inputs() returned no input group")
        first = _outputs(runner, groups_a[0], deadline, ops=ops)
        for group in groups_a[1:]:  # every input group must run; only the first's outputs are needed here
            _outputs(runner, group, deadline, read=False)
        out_b = _outputs(runner, groups_b[0], deadline)
        reason = degenerate_reason(first, out_b, task.tolerance)
        if reason:
            raise _Refused(f"degenerate task: {reason}", TaskProblem.degenerate)
        eager = [timed_round(runner, groups_a[0], 1, deadline)[0] for _ in range(EAGER_ROUNDS)]
    except RunnerFailed as exc:
        problem = exc.failure.message.removeprefix("the task failed: ")
        if exc.failure.reason is Reason.out_of_memory:
            return ProbeResult(ok=False, kind=TaskProblem.out_of_memory,
                               problem=f"needs more than its memory limit of {limit_mb} MiB ({problem})")
        return ProbeResult(ok=False, problem=problem, kind=TaskProblem.load_error)
    except RunnerGone as exc:
        if exc.oom:
            return ProbeResult(ok=False, kind=TaskProblem.out_of_memory, problem=f"needs more than its memory limit "
                               f"of {limit_mb} MiB (its process was killed for memory)")
        return ProbeResult(ok=False, kind=TaskProblem.load_error,
                           problem=f"the task's process {exc.why} while importing or running it{_tail(runner)}")
    except RunnerTimeout:
        return ProbeResult(ok=False, kind=TaskProblem.timeout,
                           problem=f"timed out after {timeout_s:.0f} s while importing or running it")
    except _Refused as exc:
        return ProbeResult(ok=False, problem=str(exc), kind=exc.kind)
    except Exception as exc:  # noqa: BLE001 - data the task's runner sent that the judge cannot use is a refusal
        return ProbeResult(ok=False, kind=TaskProblem.load_error, problem=f"the task's runner sent data the judge "
                           f"cannot use ({type(exc).__name__}: {str(exc)[:200]})")
    finally:
        runner.kill()
    vary = any(isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor) and x.shape == y.shape
               and not torch.equal(x, y) for x, y in zip(groups_a[0], groups_b[0]))
    args = groups_a[0]
    return ProbeResult(ok=True, input_groups=len(groups_a), inputs_vary=vary, ops=sorted(set(ops)),
                       output_shapes=[list(t.shape) for t in first], eager_ms=median(eager[1:]) * 1e3,
                       input_shapes=[list(a.shape) if isinstance(a, torch.Tensor) else None for a in args],
                       input_dtypes=[str(a.dtype).removeprefix("torch.") if isinstance(a, torch.Tensor) else None
                                     for a in args])


def _tail(runner: RunnerProcess) -> str:
    """The last line the task's process printed, so a crash never reads as an empty message."""
    lines = [line for line in runner.log.splitlines() if line.strip()]
    return f": {lines[-1][:300]}" if lines else ""
