"""One runner's state and its answers to the judge's commands (`python -m evaluator.runner`, inside the jail).

A runner loads the task (every role: task files may be untrusted too) and then, by role, serves the reference
model, `torch.compile` of it, or the candidate's ModelNew. It computes and reports; it never compares, never times
itself and never decides anything: the judge does that with what it reads back.
"""

from __future__ import annotations

import mmap
import os
import sys
import traceback
from pathlib import Path
from typing import Any, cast

import torch

from kernelwright.evaluator.build.errors import BuildError, UnsafeSourceError
from kernelwright.evaluator.dispatch_guard import DispatchRecorder
from kernelwright.evaluator.platforms import get_platform
from kernelwright.evaluator.result import Reason, Status, Verification
from kernelwright.evaluator.runner import tensors
from kernelwright.evaluator.runner.builds import RemoteBuilder
from kernelwright.evaluator.runner.failures import RunnerFailure, code_frame, is_oom
from kernelwright.evaluator.runner.guard import SandboxGuard, install
from kernelwright.evaluator.runner.protocol import (
    MAX_OPS,
    Call,
    Channel,
    Failure,
    Finish,
    Load,
    MakeInputs,
    Reply,
    Role,
    Round,
    Setup,
    TensorSpec,
    runner_fds,
)
from kernelwright.evaluator.runner.tripwires import Tripwires, check_output, poison
from kernelwright.tasks.errors import TaskLoadError
from kernelwright.tasks.inputs import build_model, init_inputs, input_groups, outputs_as_list
from kernelwright.tasks.module import exec_module_from_source

SCRATCH = Path(os.environ.get("TMPDIR", "/tmp"))


def _task_failure(exc: BaseException, doing: str) -> RunnerFailure:
    """The task's own code failed while `doing` something: not the candidate's doing, and the message says so."""
    if isinstance(exc, RunnerFailure):
        return exc
    if isinstance(exc, TaskLoadError):
        problem = exc.problem
    else:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if "task" in Path(f.filename).name]
        at = f" at line {frames[-1].lineno}" if frames else ""
        problem = f"{doing} failed{at}: {type(exc).__name__}: {str(exc).strip()[:600]}"
    # Running out of memory is a size problem, not a bug in the task: the judge names it as such.
    reason = Reason.out_of_memory if is_oom(exc) else Reason.task_error
    return RunnerFailure(Status.runtime_error, reason, f"the task failed: {problem}")


class Runner:
    """Answers the judge's commands, one at a time."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        _, self.rx, self.tx = runner_fds()
        self.rx_size = os.fstat(self.rx).st_size
        self.setup_msg: Setup | None = None
        self.model: torch.nn.Module | None = None
        self.buffers: list[Any] = []
        self.staging: list[torch.Tensor | None] = []
        self.mapping: mmap.mmap | None = None
        self.tx_size = os.fstat(self.tx).st_size
        self.tx_map: mmap.mmap | None = None  # tx, mapped for timed rounds' outputs
        self.last_outputs: list[torch.Tensor] = []
        self.tripwires: Tripwires | None = None
        self.task_module: Any = None

    def handle(self, message: Any) -> Reply | Failure:
        """The reply to one command; every failure becomes a `Failure` report."""
        try:
            with torch.no_grad():
                if isinstance(message, Setup):
                    return self.setup(message)
                if self.setup_msg is None or self.model is None:
                    raise RunnerFailure(Status.runtime_error, Reason.harness_error, "a command before setup")
                if isinstance(message, MakeInputs):
                    return self.make_inputs(message.seed, message.first_only)
                if isinstance(message, Call):
                    return self.call(message)
                if isinstance(message, Load):
                    return self.load(message)
                if isinstance(message, Round):
                    return self.round(message.calls)
                if isinstance(message, Finish):
                    if self.tripwires is not None:
                        self.tripwires.final()
                    return Reply()
            raise RunnerFailure(Status.runtime_error, Reason.harness_error, f"unexpected command {message.op!r}")
        except RunnerFailure as failure:
            return Failure(status=failure.status, reason=failure.reason, message=failure.message[:20_000],
                           log=failure.log[-200_000:])
        except Exception as exc:  # noqa: BLE001 - anything else in untrusted code is a runtime failure report
            reason = Reason.out_of_memory if is_oom(exc) else Reason.runtime_exception
            return Failure(status=Status.runtime_error, reason=reason, message=code_frame(exc)[:20_000])

    # --- setup ---------------------------------------------------------------------------------------------

    def setup(self, msg: Setup) -> Reply:
        if self.setup_msg is not None:
            raise RunnerFailure(Status.runtime_error, Reason.harness_error, "setup twice")
        self.setup_msg = msg
        torch.set_num_threads(msg.threads)
        self.platform = get_platform(msg.platform)
        self.device = self.platform.device
        self.guard = SandboxGuard([SCRATCH], self.platform.driver_libraries)
        self.platform.warm_device()
        if msg.role is Role.candidate:
            self.platform.warm_kernel_runtime()
        if msg.role is not Role.compiled:
            # Task and candidate code alike are untrusted; inductor (the compiled role) spawns its compilers.
            install(self.guard)
            self.guard.armed = True
        try:
            module = exec_module_from_source(msg.task_source, "task", SCRATCH / "task")
        except Exception as exc:  # noqa: BLE001 - a task that fails to load is reported as the task's failure
            raise _task_failure(exc, "import") from exc
        model_cls = getattr(module, "Model", None)
        if not isinstance(model_cls, type) or not issubclass(model_cls, torch.nn.Module):
            raise RunnerFailure(Status.runtime_error, Reason.task_error,
                                "the task failed: Model must be a torch.nn.Module subclass")
        try:
            init = init_inputs(module, msg.task_id)
            reference = build_model(model_cls, init, seed=msg.seed + 42).to(self.device)
        except Exception as exc:  # noqa: BLE001
            raise _task_failure(exc, "building the model") from exc
        self.task_module = module
        if msg.role is Role.reference:
            self.model = reference
        elif msg.role is Role.compiled:
            import torch._inductor.config as inductor_config

            inductor_config.compile_threads = 1  # no worker pool competing with the timed runs for the cores
            # torch.compile of a Module returns an OptimizedModule (a Module); its stub only says "a callable".
            self.model = cast(torch.nn.Module, torch.compile(reference))
        else:
            self.model = self.load_candidate(msg, init, reference)
        return Reply()

    def load_candidate(self, msg: Setup, init: list[Any], reference: torch.nn.Module) -> torch.nn.Module:
        builder = RemoteBuilder(self.channel)
        kernel_calls = (lambda: builder.kernel_calls) if self.platform.builds_with_load_inline else \
            self.platform.kernel_calls
        self.tripwires = Tripwires(self.platform, self.guard, msg.threads, msg.allow_torch, kernel_calls)
        groups = self.inputs_on_device(1)
        from kernelwright.evaluator.compare import compare
        from kernelwright.evaluator.runner import session, tripwires

        harness = [session, tripwires, sys.modules[compare.__module__], Runner, self.task_module,
                   self.task_module.Model]
        self.tripwires.snapshot(lambda: reference(*groups[0]), harness)
        self.platform.install_build_hooks(builder.load_inline)
        self.platform.guard_builds(self.guard.building)
        try:
            module = exec_module_from_source(msg.candidate_source, "candidate", SCRATCH / "candidate")
        except UnsafeSourceError as exc:
            raise RunnerFailure(Status.rejected, Reason.unsafe_native_code, str(exc)) from exc
        except BuildError as exc:
            raise RunnerFailure(Status.build_error, Reason.compile_error, str(exc), log=exc.log) from exc
        except PermissionError as exc:
            if self.guard.violations:
                raise RunnerFailure(Status.rejected, Reason.sandbox_violation, str(exc)) from exc
            raise RunnerFailure(Status.build_error, Reason.import_error, code_frame(exc)) from exc
        except Exception as exc:  # noqa: BLE001 - whatever the candidate raises at import is its verdict
            if is_oom(exc):
                raise RunnerFailure(Status.runtime_error, Reason.out_of_memory, code_frame(exc)) from exc
            raise RunnerFailure(Status.build_error, Reason.import_error,
                                f"importing the candidate failed: {code_frame(exc)}") from exc
        self.tripwires.check()
        cls = getattr(module, "ModelNew", None)
        if not isinstance(cls, type) or not issubclass(cls, torch.nn.Module):
            raise RunnerFailure(Status.rejected, Reason.no_model_new, "ModelNew must be a torch.nn.Module subclass")
        try:
            model = build_model(cls, init, seed=msg.seed + 42).to(self.device)
        except Exception as exc:  # noqa: BLE001 - a constructor that fails is the candidate's verdict
            if msg.verification is Verification.compile_only and builder.stats.loaded:
                # Without a GPU a constructor that touches the device fails for want of one, not by its fault.
                raise RunnerFailure(Status.build_ok_unverified, Reason.ok, f"ModelNew() could not be constructed "
                                    f"without a GPU: {code_frame(exc)}") from exc
            raise RunnerFailure(Status.runtime_error, Reason.runtime_exception,
                                f"ModelNew(*get_init_inputs()) failed: {code_frame(exc)}") from exc
        builder.close()  # the judge serves builds during Setup only
        ref_state, new_state = reference.state_dict(), model.state_dict()
        if ref_state and set(ref_state) == set(new_state) and all(
                ref_state[k].shape == new_state[k].shape for k in ref_state):
            model.load_state_dict(ref_state)  # equal seeds usually give equal weights already; this makes it certain
        return model

    # --- data ----------------------------------------------------------------------------------------------

    def inputs_on_device(self, seed: int) -> list[list[Any]]:
        assert self.setup_msg is not None
        groups = input_groups(self.task_module, seed, self.setup_msg.task_id)
        return [[a.to(self.device) if isinstance(a, torch.Tensor) else a for a in g] for g in groups]

    def make_inputs(self, seed: int, first_only: bool = False) -> Reply:
        assert self.setup_msg is not None
        if self.setup_msg.role is not Role.reference:
            raise RunnerFailure(Status.runtime_error, Reason.harness_error, "only reference runners make inputs")
        try:
            groups = input_groups(self.task_module, seed, self.setup_msg.task_id, first_only=first_only)
        except Exception as exc:  # noqa: BLE001 - the task's get_inputs failing is the task's failure
            raise _task_failure(exc, "making the inputs") from exc
        offset, specs = 0, []
        for group in groups:
            try:
                args, offset = tensors.write_args(self.tx, group, offset)
            except tensors.WireError as exc:
                reason = Reason.out_of_memory if isinstance(exc, tensors.ArenaFull) else Reason.task_error
                raise RunnerFailure(Status.runtime_error, reason, f"the task's inputs: {exc}") from exc
            specs.append(args)
        return Reply(groups=specs)

    def _write_outputs(self, outputs: list[Any], mapped: bool = False) -> list[TensorSpec]:
        """Write `outputs` into tx, with `pwrite`, or (`mapped`, for timed rounds, where the copy is inside the clock)
        through a mapping of tx kept from round to round."""
        offset, placed = 0, []
        for i, value in enumerate(outputs):
            if not isinstance(value, torch.Tensor):
                raise RunnerFailure(Status.rejected, Reason.output_type,
                                    f"output {i} is a {type(value).__name__}, not a tensor")
            try:
                dense, spec = tensors.placed(value, offset)
                tensors.check_spec(spec, self.tx_size)
                if not mapped:
                    tensors.write_tensor(self.tx, offset, dense)
            except tensors.ArenaFull as exc:  # outputs bigger than the memory limit allows to hand over
                raise RunnerFailure(Status.runtime_error, Reason.out_of_memory, f"output {i}: {exc}") from exc
            except tensors.WireError as exc:
                raise RunnerFailure(Status.incorrect, Reason.output_dtype, f"output {i}: {exc}") from exc
            except OSError as exc:  # EFAULT: pages that are not there to read (row 19: filled only on a fault)
                raise RunnerFailure(Status.rejected, Reason.output_storage, f"output {i}: its memory could not be "
                                    f"read whole ({exc.strerror or exc})") from exc
            placed.append((dense, spec))
            offset = tensors.aligned(offset + spec.nbytes)
        if mapped and placed:
            span = max(mmap.PAGESIZE, -(-offset // mmap.PAGESIZE) * mmap.PAGESIZE)
            if self.tx_map is None or len(self.tx_map) < span:
                if self.tx_map is not None:
                    self.tx_map.close()
                self.tx_map = mmap.mmap(self.tx, span, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
            for dense, spec in placed:
                tensors.copy_into(self.tx_map, dense, spec)
        return [spec for _, spec in placed]

    def call(self, msg: Call) -> Reply:
        assert self.setup_msg is not None and self.model is not None
        try:
            args = [a.to(self.device) if isinstance(a, torch.Tensor) else a
                    for a in tensors.read_args(self.rx, msg.args, self.rx_size)]
        except tensors.WireError as exc:
            raise RunnerFailure(Status.runtime_error, Reason.harness_error, f"reading the inputs: {exc}") from exc
        where = msg.where or "call"
        if self.tripwires is None:
            recorder = DispatchRecorder() if msg.record_ops else None
            try:
                if recorder is not None:
                    with recorder:
                        out = outputs_as_list(self.model(*args))
                else:
                    out = outputs_as_list(self.model(*args))
                self.platform.synchronize()
            except Exception as exc:  # noqa: BLE001 - the reference failing is the task's failure
                raise _task_failure(exc, "running the reference") from exc
            for i, value in enumerate(out):
                if not isinstance(value, torch.Tensor):
                    raise RunnerFailure(Status.runtime_error, Reason.task_error,
                                        f"the task failed: Model.forward must return tensors, got "
                                        f"{type(value).__name__} (output {i})")
            ops = sorted(recorder.ops)[:MAX_OPS] if recorder is not None else []
            return Reply(outputs=self._write_outputs(out), ops=ops)
        pristine = [a.clone() if isinstance(a, torch.Tensor) else a for a in args]
        mine = [a.clone() if isinstance(a, torch.Tensor) else a for a in args]
        poison(self.last_outputs or [a for a in args if isinstance(a, torch.Tensor)])
        out = self.tripwires.call(self.model, mine, where)
        self.tripwires.note_warm()
        for i, (before, after) in enumerate(zip(pristine, mine)):
            if isinstance(before, torch.Tensor) and not _same(before, after):
                raise RunnerFailure(Status.rejected, Reason.input_mutation,
                                    f"{where}: the candidate modified input {i}")
        self.last_outputs = [t for t in out if isinstance(t, torch.Tensor)]
        return Reply(outputs=self._write_outputs(out))

    # --- timing --------------------------------------------------------------------------------------------

    def load(self, msg: Load) -> Reply:
        """Timing buffers at fixed addresses (row 4: new values at the same address every round).

        On the CPU the buffers are views of the rx arena itself: the judge writes each round's inputs straight into
        them. On a GPU they are device tensors, filled from those views at the start of each round.
        """
        tensor_specs = [a.tensor for a in msg.args if a.tensor is not None]
        tensors.check_total(tensor_specs, self.rx_size)
        span = max((tensors.aligned(s.offset + s.nbytes) for s in tensor_specs), default=0)
        self.mapping = mmap.mmap(self.rx, max(span, mmap.PAGESIZE), mmap.MAP_SHARED,
                                 mmap.PROT_READ | mmap.PROT_WRITE) if tensor_specs else None
        self.buffers, self.staging = [], []
        for arg in msg.args:
            if arg.tensor is None:
                self.buffers.append(tuple(arg.value) if arg.is_tuple and isinstance(arg.value, list) else arg.value)
                self.staging.append(None)
                continue
            tensors.check_spec(arg.tensor, self.rx_size)
            view = tensors.view_of(self.mapping, arg.tensor)
            if self.device.type == "cpu":
                self.buffers.append(view)
                self.staging.append(None)
            else:
                self.buffers.append(tensors.empty_like_spec(arg.tensor, self.device))
                self.staging.append(view)
        return Reply()

    def round(self, calls: int) -> Reply:
        """The timed unit: `calls` forwards on the inputs in rx, device synchronized, each call's outputs checked
        (row 3, in every timed call: exactly tensors with real storage on the device), and the last call's whole
        outputs written into tx before the answer (row 19: the judge's clock runs until every byte is there)."""
        assert self.model is not None
        for buffer, staging in zip(self.buffers, self.staging):
            if staging is not None:
                buffer.copy_(staging)
        outputs: list[Any] = []
        try:
            for _ in range(calls):
                outputs = outputs_as_list(self.model(*self.buffers))
                for i, value in enumerate(outputs):
                    check_output(value, self.device, f"timed run, output {i}")
            self.platform.synchronize()
        except RunnerFailure:
            raise  # a bad output: the judge blames the side whose round it was
        except Exception as exc:  # noqa: BLE001 - a failure in a timed call is a runtime failure
            if self.tripwires is None:
                raise _task_failure(exc, "running the reference") from exc
            reason = Reason.out_of_memory if is_oom(exc) else Reason.runtime_exception
            raise RunnerFailure(Status.runtime_error, reason, f"timed run: {code_frame(exc)}") from exc
        return Reply(outputs=self._write_outputs(outputs, mapped=True))


def _same(a: torch.Tensor, b: object) -> bool:
    if not isinstance(b, torch.Tensor) or a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.is_floating_point():
        return torch.equal(torch.nan_to_num(a), torch.nan_to_num(b))
    return torch.equal(a, b)
