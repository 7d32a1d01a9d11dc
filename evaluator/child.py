"""The sandboxed child: build, correctness, timing and sanity for one candidate (`python -m evaluator.child FD`).

It reads an `EvalRequest` on stdin and writes nonce-tagged JSON messages to the inherited pipe FD:
`{"stage": ...}` as it goes, then one `{"result": {...}}`.
"""

from __future__ import annotations

import faulthandler
import fcntl
import json
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any, TextIO

import torch

from evaluator.baselines import BaselinePipeline
from evaluator.build.errors import BuildError, UnsafeSourceError
from evaluator.compare import ErrorStats, Mismatch, check_output_type, compare, inputs_unchanged
from evaluator.dispatch_guard import DispatchRecorder
from evaluator.integrity import TorchIntegrity
from evaluator.platforms import get_platform
from evaluator.platforms.base import Platform
from evaluator.request import EvalRequest, RequestMode
from evaluator.result import CorrectnessStats, EvalResult, Reason, Stage, Status, TimingStats, Verification
from evaluator.sandbox.guard import SandboxGuard, install
from evaluator.sanity import above_peak
from evaluator.timing import TimingConfig, measure
from tasks.errors import TaskLoadError
from tasks.inputs import build_model, init_inputs, input_groups, outputs_as_list
from tasks.module import exec_module_from_source
from tasks.probe import probe
from tasks.probe_result import ProbeResult

# Row 11: references to the clock and the thread controls, taken before any candidate code loads.
_PERF_COUNTER = time.perf_counter
_SET_THREADS = torch.set_num_threads
_GET_THREADS = torch.get_num_threads


class Verdict(Exception):
    """Ends the pipeline with a result."""

    def __init__(self, status: Status, reason: Reason, message: str, log: str = "") -> None:
        super().__init__(message)
        self.status, self.reason, self.message, self.log = status, reason, message, log


class Channel:
    def __init__(self, handle: TextIO, nonce: str) -> None:
        self.handle, self.nonce = handle, nonce

    def send(self, **msg: Any) -> None:
        self.handle.write(json.dumps({"nonce": self.nonce, **msg}) + "\n")
        self.handle.flush()


def _candidate_frame(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "candidate" in Path(f.filename).name]
    where = f" (candidate line {frames[-1].lineno}: {frames[-1].line})" if frames else ""
    return f"{type(exc).__name__}: {str(exc).strip()[:600]}{where}"


def _is_oom(exc: BaseException) -> bool:
    return isinstance(exc, MemoryError) or "can't allocate memory" in str(exc) or "not enough memory" in str(exc)


def _clone(args: list[Any]) -> list[Any]:
    return [a.clone() if isinstance(a, torch.Tensor) else a for a in args]


def _on(device: torch.device, args: list[Any]) -> list[Any]:
    """Tensor inputs moved to the platform's device (task files build them on the CPU, as in KernelBench)."""
    return [a.to(device) if isinstance(a, torch.Tensor) else a for a in args]


def _poison(like: list[torch.Tensor]) -> None:
    # Rows 5 and 13: fill, then free, blocks the size of the outputs, so memory a kernel forgets to
    # write holds NaN instead of a previous answer.
    blocks = [torch.full_like(t, float("nan")) if t.is_floating_point() else torch.full_like(t, -1) for t in like]
    del blocks


def _plain(value: Any) -> Any:
    """`value` rebuilt from builtin str/int/float/bool/None/list/dict only (candidate subclasses dropped)."""
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, str):
        return str.__str__(str(value))
    if isinstance(value, (int, float)):
        return float(value) if isinstance(value, float) else int(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    raise TypeError(f"load_inline arguments must be strings, numbers, lists or dicts, not {type(value).__name__}")


def _child_processes() -> list[int]:
    """Pids of this process's children (from every thread), via /proc; empty where it can't be read."""
    pids: list[int] = []
    try:
        for tid in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{tid}/children") as handle:
                pids += [int(p) for p in handle.read().split()]
    except OSError:
        return pids
    return pids


def _native_threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


class Pipeline:
    def __init__(self, req: EvalRequest, channel: Channel) -> None:
        self.req, self.chan, self.opts = req, channel, req.options
        self.task = req.task
        # Made before any candidate code loads: a GPU platform keeps its references to the device's clock
        # and sync from now on (row 11).
        self.platform: Platform = get_platform(req.platform)
        self.device = self.platform.device
        self.verification = req.verification
        self.stage = Stage.build
        # Opened before candidate code loads: the guard refuses writes outside the private folder later.
        self.timing_lock = os.open(req.timing_lock, os.O_RDWR | os.O_CREAT, 0o600) if req.timing_lock else None
        # Only the private folder: the shared build cache is written by the harness's own builds (which run
        # under `guard.building()`); a candidate that could write there could poison other evaluations'
        # kernels or the cached peak rates behind the faster-than-physics check.
        self.guard = SandboxGuard([Path(req.private_dir)])
        self.errors = ErrorStats()
        self.trials = 0

    def set_stage(self, stage: Stage) -> None:
        self.stage = stage
        self.chan.send(stage=stage.value)

    def check_integrity(self) -> None:
        """Row 11: the timer and thread controls must still be the harness's own."""
        if time.perf_counter is not _PERF_COUNTER or torch.set_num_threads is not _SET_THREADS:
            raise Verdict(Status.rejected, Reason.timer_patch, "the candidate replaced the harness's timer or "
                          "thread controls")
        if _GET_THREADS() != self.threads:
            raise Verdict(Status.rejected, Reason.timer_patch, f"the candidate changed the thread count from "
                          f"{self.threads} to {_GET_THREADS()}")
        timer_problem = self.platform.timer_problems()
        if timer_problem:
            raise Verdict(Status.rejected, Reason.timer_patch, timer_problem)
        if self.guard.violations:
            raise Verdict(Status.rejected, Reason.sandbox_violation, "sandbox: " + self.guard.violations[0])
        # Row 15: some spawns raise no audit event (`_posixsubprocess.fork_exec`); the harness's own compiler
        # runs are waited for, so any child process alive here is the candidate's.
        spawned = _child_processes()
        if spawned:
            raise Verdict(Status.rejected, Reason.sandbox_violation, f"sandbox: the candidate started "
                          f"{len(spawned)} process(es) (pid {spawned[0]})")
        # Rows 6, 11, 12: patched torch functions, operator kernels, global modes/hooks or harness
        # functions would change what the reference computes or how fast the baseline runs.
        tampered = self.integrity.problems()
        if tampered:
            raise Verdict(Status.rejected, Reason.harness_tamper, "the candidate changed torch or harness state "
                          "that the reference depends on: " + "; ".join(tampered[:3]))

    def run(self) -> EvalResult:
        self.threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
        _SET_THREADS(self.threads)
        task_module = exec_module_from_source(self.task.source, "task", Path(self.req.private_dir) / "task")
        init = init_inputs(task_module, self.task.id)
        self.reference = build_model(task_module.Model, init, seed=self.opts.seed + 42).to(self.device)
        self.task_module = task_module
        # Snapshot, before any candidate code runs, what the reference and the harness rely on.
        harness = [sys.modules[__name__], sys.modules[compare.__module__], sys.modules[measure.__module__],
                   sys.modules[above_peak.__module__], sys.modules[input_groups.__module__], Pipeline,
                   task_module, task_module.Model]
        self.integrity = TorchIntegrity(lambda: self.reference(*self.inputs(1)[0]), harness)
        self.set_stage(Stage.build)
        model_new = self.build(init)
        if self.verification is Verification.compile_only:
            return self.compile_checked()
        self.set_stage(Stage.correctness)
        with torch.no_grad():
            self.correctness(model_new)
            if self.verification is Verification.interpreter:
                return self.result(Status.correct, Reason.ok, f"{self.correct_message()} "
                                   f"({self.verification.label})")
            if not self.opts.timing:
                return self.result(Status.correct, Reason.ok, self.correct_message())
            self.set_stage(Stage.timing)
            if self.timing_lock is not None:
                fcntl.flock(self.timing_lock, fcntl.LOCK_EX)
            try:
                outcome = self.timing(model_new)
            finally:
                if self.timing_lock is not None:
                    fcntl.flock(self.timing_lock, fcntl.LOCK_UN)
        self.check_integrity()
        timing_stats = TimingStats(buckets=outcome.buckets, runs_per_bucket=outcome.runs_per_bucket,
                                   threads=self.threads, bucket_ratios=[round(r, 5) for r in outcome.ratios],
                                   baseline_min_ms=outcome.baseline_min_ms, candidate_min_ms=outcome.candidate_min_ms,
                                   retries=outcome.retries)
        timed = dict(speedup=outcome.speedup, speedup_ci=outcome.ci, baseline_ms=outcome.baseline_ms,
                     candidate_ms=outcome.candidate_ms, timing=timing_stats)
        if not outcome.stable:
            lo, hi = outcome.ci
            return self.result(Status.unstable, Reason.unstable_timing,
                               f"timing did not settle: interval [{lo:.2f}, {hi:.2f}] around {outcome.speedup:.2f}x "
                               f"after {outcome.buckets} buckets; no speedup is reported",
                               timing=timing_stats, baseline_ms=outcome.baseline_ms, candidate_ms=outcome.candidate_ms)
        self.set_stage(Stage.sanity)
        gflops, gbps, problem = (None, None, None)
        if self.req.peaks is not None:
            gflops, gbps, problem = above_peak(self.task.flops, self.task.bytes_moved, outcome.candidate_ms / 1e3,
                                               self.req.peaks)
        if problem:
            return self.result(Status.rejected, Reason.above_peak, problem, achieved_gflops=gflops,
                               achieved_gbps=gbps, **timed)
        lo, hi = outcome.ci
        msg = f"{self.correct_message()}; speedup {outcome.speedup:.2f}x [{lo:.2f}, {hi:.2f}]"
        self.stage = Stage.done
        return self.result(Status.correct, Reason.ok, msg, achieved_gflops=gflops, achieved_gbps=gbps, **timed)

    def inputs(self, seed: int) -> list[list[Any]]:
        """The task's input groups for `seed`, on the platform's device."""
        return [_on(self.device, group) for group in input_groups(self.task_module, seed, self.task.id)]

    def compile_checked(self) -> EvalResult:
        """The verdict without a GPU: what compiled, and that nothing ran."""
        if self.platform.kernels_built() == 0:
            raise Verdict(Status.build_error, Reason.kernel_not_built, "without a GPU the harness compile-checks the "
                          "kernels built while the module loads or ModelNew is constructed, and this candidate built "
                          "none then; build them at module level or in __init__")
        return self.result(Status.build_ok_unverified, Reason.ok, self.compile_message())

    def compile_message(self) -> str:
        return (f"{self.platform.kernels_built()} extension(s) compiled with nvcc ({self.verification.label}); "
                "neither correctness nor speed was checked")

    def correct_message(self) -> str:
        return f"correct on {self.trials} trials x {self.task_groups} input groups"

    def result(self, status: Status, reason: Reason, message: str, **extra: Any) -> EvalResult:
        return EvalResult(
            status=status, reason=reason, message=message, stage=self.stage, platform=self.platform.name,
            allow_torch=self.opts.allow_torch, build_seconds=self.platform.build_seconds(),
            verification=self.verification,
            correctness=CorrectnessStats(trials=self.trials, input_groups=getattr(self, "task_groups", 0),
                                         max_abs_error=self.errors.max_abs, max_rel_error=self.errors.max_rel,
                                         worst_index=self.errors.index),
            **extra,
        )

    def build(self, init: list[Any]) -> torch.nn.Module:
        self.platform.install_build_hooks()
        self._guard_builds()
        self.platform.guard_builds(self.guard.building)
        install(self.guard)
        self.guard.armed = True
        try:
            module = exec_module_from_source(self.req.candidate_source, "candidate",
                                             Path(self.req.private_dir) / "candidate")
        except UnsafeSourceError as exc:
            raise Verdict(Status.rejected, Reason.unsafe_native_code, str(exc)) from exc
        except BuildError as exc:
            raise Verdict(Status.build_error, Reason.compile_error, str(exc), log=exc.log) from exc
        except PermissionError as exc:
            if self.guard.violations:
                raise Verdict(Status.rejected, Reason.sandbox_violation, str(exc)) from exc
            raise Verdict(Status.build_error, Reason.import_error, _candidate_frame(exc)) from exc
        except Exception as exc:  # noqa: BLE001 - whatever the candidate raises at import is its verdict
            if _is_oom(exc):
                raise Verdict(Status.runtime_error, Reason.out_of_memory, _candidate_frame(exc)) from exc
            raise Verdict(Status.build_error, Reason.import_error,
                          f"importing the candidate failed: {_candidate_frame(exc)}") from exc
        self.check_integrity()
        cls = getattr(module, "ModelNew", None)
        if not isinstance(cls, type) or not issubclass(cls, torch.nn.Module):
            raise Verdict(Status.rejected, Reason.no_model_new, "ModelNew must be a torch.nn.Module subclass")
        try:
            model = build_model(cls, init, seed=self.opts.seed + 42).to(self.device)
        except Exception as exc:  # noqa: BLE001 - a constructor that fails is the candidate's verdict
            if self.verification is Verification.compile_only and self.platform.kernels_built():
                # Without a GPU a constructor that touches the device fails for want of one, not by its fault:
                # what compiled is still the answer.
                raise Verdict(Status.build_ok_unverified, Reason.ok, f"{self.compile_message()} (ModelNew() could "
                              f"not be constructed without a GPU: {_candidate_frame(exc)})") from exc
            raise Verdict(Status.runtime_error, Reason.runtime_exception,
                          f"ModelNew(*get_init_inputs()) failed: {_candidate_frame(exc)}") from exc
        ref_state = self.reference.state_dict()
        new_state = model.state_dict()
        if ref_state and set(ref_state) == set(new_state) and all(
                ref_state[k].shape == new_state[k].shape for k in ref_state):
            # Equal seeds usually give equal weights already; copying makes it certain.
            model.load_state_dict(ref_state)
        return model

    def _guard_builds(self) -> None:
        from torch.utils import cpp_extension

        inner = cpp_extension.load_inline
        guard = self.guard

        def load_inline(*args: Any, **kwargs: Any) -> Any:
            # The guard is off while building, so no candidate code may run then: a `str`/`list` subclass
            # with its own `__repr__` or `__iter__` would. Copy the arguments into plain builtins first,
            # while the guard is still on.
            plain_args, plain_kwargs = _plain(list(args)), _plain(dict(kwargs))
            with guard.building():
                return inner(*plain_args, **plain_kwargs)

        cpp_extension.load_inline = load_inline

    def call_candidate(self, model: torch.nn.Module, args: list[Any], where: str) -> list[Any]:
        recorder = None if self.opts.allow_torch else DispatchRecorder()
        calls_before = self.platform.kernel_calls()
        py_threads = threading.active_count()
        try:
            if recorder is not None:
                with recorder:
                    out = model(*args)
            else:
                out = model(*args)
            self.platform.synchronize()
        except PermissionError as exc:
            if self.guard.violations:
                raise Verdict(Status.rejected, Reason.sandbox_violation, str(exc)) from exc
            raise Verdict(Status.runtime_error, Reason.runtime_exception, f"{where}: {_candidate_frame(exc)}") from exc
        except UnsafeSourceError as exc:  # a kernel built lazily, inside forward
            raise Verdict(Status.rejected, Reason.unsafe_native_code, str(exc)) from exc
        except Exception as exc:  # noqa: BLE001 - the candidate's failure is its verdict
            reason = Reason.out_of_memory if _is_oom(exc) else Reason.runtime_exception
            raise Verdict(Status.runtime_error, reason, f"{where}: {_candidate_frame(exc)}") from exc
        self.check_integrity()
        # Row 2: work left running in a thread is work the timer does not see.
        if threading.active_count() > py_threads:
            raise Verdict(Status.rejected, Reason.background_thread, f"{where}: the forward left a thread running")
        if recorder is not None:
            if recorder.compute_ops:
                ops = ", ".join(recorder.compute_ops[:6])
                raise Verdict(Status.rejected, Reason.torch_compute,
                              f"{where}: PyTorch computed part of the result ({ops}); the kernel must do the work "
                              "(use --allow-torch for the PyTorch track)")
            if self.platform.kernel_calls() == calls_before:
                raise Verdict(Status.rejected, Reason.kernel_not_called,
                              f"{where}: the forward never called the built kernel")
        return outputs_as_list(out)

    def check_outputs(self, got: list[Any], expected: list[Any], where: str) -> Mismatch | None:
        if len(got) != len(expected):
            return Mismatch(Reason.output_shape, f"{where}: {len(got)} outputs, expected {len(expected)}")
        for i, (g, e) in enumerate(zip(got, expected)):
            label = f"{where}, output {i}" if len(expected) > 1 else where
            bad = check_output_type(g, e, self.platform.device, label) or compare(g, e, self.task.tolerance, label)
            if bad:
                return bad
            self.errors.update(g, e)
        return None

    def fail(self, bad: Mismatch) -> None:
        self.errors.max_abs = max(self.errors.max_abs, bad.max_abs or 0.0)
        if bad.index is not None:
            self.errors.index = bad.index
        status = Status.rejected if bad.reason in (Reason.output_type, Reason.output_storage) else Status.incorrect
        raise Verdict(status, bad.reason, bad.message)

    def correctness(self, model: torch.nn.Module) -> None:
        ref_like: list[torch.Tensor] = []
        threads_after_warm: int | None = None
        for trial in range(self.opts.correctness_trials):
            # Fresh seeds, never the ones the task file would produce by default (row 8).
            groups = self.inputs(1000 + 7919 * (trial + 1) + self.opts.seed)
            self.task_groups = len(groups)
            for g, args in enumerate(groups):
                where = f"trial {trial + 1}, input group {g}"
                pristine = _clone(args)
                mine = _clone(args)
                _poison(ref_like or [a for a in args if isinstance(a, torch.Tensor)])
                # Row 5: the candidate runs before the reference, so it can't pick up the reference's output.
                got = self.call_candidate(model, mine, where)
                changed = inputs_unchanged(pristine, mine)
                if changed is not None:
                    raise Verdict(Status.rejected, Reason.input_mutation,
                                  f"{where}: the candidate modified input {changed}")
                expected = outputs_as_list(self.reference(*_clone(args)))
                ref_like = [t for t in expected if isinstance(t, torch.Tensor)]
                bad = self.check_outputs(got, expected, where)
                if bad:
                    self.fail(bad)
                if trial == 0 and g == 0:
                    # Row 13: the same inputs must give the same answer.
                    _poison(ref_like)
                    again = self.call_candidate(model, _clone(args), where + " (repeat)")
                    bad = self.check_outputs(again, got, where + " (repeat)")
                    if bad:
                        raise Verdict(Status.incorrect, Reason.nondeterministic,
                                      f"two runs on the same inputs differ: {bad.message}")
                    threads_after_warm = _native_threads()
            self.trials = trial + 1
        if threads_after_warm is not None and _native_threads() > threads_after_warm:
            raise Verdict(Status.rejected, Reason.background_thread, "the candidate started native threads that "
                          "are still running after its forward returned")

    def timing(self, model: torch.nn.Module) -> Any:
        buffers = self.inputs(99)[0]

        def fresh(bucket: int) -> list[Any]:
            # Row 4: new values written into the same tensors, so a cache keyed on addresses goes stale.
            values = input_groups(self.task_module, 50_000 + bucket + self.opts.seed, self.task.id)[0]
            for buf, val in zip(buffers, values):
                if isinstance(buf, torch.Tensor):
                    buf.copy_(val)
            return buffers

        def check(base_out: Any, cand_out: Any) -> str | None:
            bad = self.check_outputs(outputs_as_list(cand_out), outputs_as_list(base_out), "after timed runs")
            return bad.message if bad else None

        config = TimingConfig(buckets=self.opts.buckets, min_bucket_ms=self.opts.min_bucket_ms)
        outcome = measure(lambda a: self.reference(*a), lambda a: model(*a), fresh, self.platform, _PERF_COUNTER,
                          check, config, seed=self.opts.seed)
        if outcome.stale_message:
            raise Verdict(Status.rejected, Reason.stale_output, outcome.stale_message + " (results cached between "
                          "calls?)")
        return outcome


def _probe(req: EvalRequest) -> ProbeResult:
    """A submitted task file is untrusted code: it runs under the same guard as a candidate kernel."""
    guard = SandboxGuard([Path(req.private_dir)])
    install(guard)
    guard.armed = True
    origin = req.task.id
    try:
        return probe(req.task.source, origin, req.task.tolerance, Path(req.private_dir) / "task")
    except TaskLoadError as exc:
        return ProbeResult(ok=False, problem=exc.problem)


def main() -> None:
    faulthandler.enable()
    fd = int(sys.argv[1])
    req = EvalRequest.model_validate_json(sys.stdin.read())
    channel = Channel(os.fdopen(fd, "w"), req.nonce)
    netns = os.environ.pop("KW_PARENT_NETNS", "")
    if netns and os.path.exists("/proc/self/ns/net") and os.readlink("/proc/self/ns/net") == netns:
        print("sandbox note: no separate network namespace on this machine; sockets are blocked by the audit hook")
    if req.mode is RequestMode.baselines:
        # Trusted code only (the task's own Model): its failures are the harness's, reported by the parent.
        channel.send(baseline=json.loads(BaselinePipeline(req).run().model_dump_json()))
        sys.stdout.flush()
        os._exit(0)
    if req.mode is RequestMode.probe:
        channel.send(probe=json.loads(_probe(req).model_dump_json()))
        sys.stdout.flush()
        os._exit(0)
    pipeline = Pipeline(req, channel)
    try:
        result = pipeline.run()
    except Verdict as verdict:
        result = pipeline.result(verdict.status, verdict.reason, verdict.message, log=verdict.log)
    channel.send(result=json.loads(result.model_dump_json()))
    sys.stdout.flush()
    # Skip interpreter teardown: a candidate's static destructors must not run after the verdict is sent.
    os._exit(0)


if __name__ == "__main__":
    main()
