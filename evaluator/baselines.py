"""Child side of a baseline measurement: time PyTorch eager against `torch.compile` (default mode), side by side.

It runs in the same sandboxed child as a candidate evaluation, with the same timing protocol (`timing.measure`:
interleaved buckets, flushed caches, fresh inputs per bucket, bootstrap intervals) and under the same per-device
timing lock, so a stored baseline is comparable with every speedup. No candidate code runs here, so the
candidate guard is not armed: inductor may write its cache (under the harness's cache folder) and run its
compiler.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import Any

import torch

from evaluator.baseline_result import BaselineResult, BaselineStatus, SideTiming
from evaluator.compare import compare
from evaluator.platforms import get_platform
from evaluator.request import EvalRequest
from evaluator.stats import median_with_ci
from evaluator.timing import TimingConfig, TimingOutcome, measure
from tasks.inputs import build_model, init_inputs, input_groups, outputs_as_list
from tasks.module import exec_module_from_source

_PERF_COUNTER = time.perf_counter


def _side(times_s: list[float], min_ms: float, seed: int) -> SideTiming:
    median, lo, hi = median_with_ci([t * 1e3 for t in times_s], seed=seed)
    return SideTiming(median_ms=median, min_ms=min_ms, ci_ms=(lo, hi))


def _mismatch(got: Any, expected: Any, tolerance: Any) -> str | None:
    for g, e in zip(outputs_as_list(got), outputs_as_list(expected)):
        if isinstance(e, torch.Tensor) and isinstance(g, torch.Tensor):
            bad = compare(g, e, tolerance, "torch.compile output")
            if bad:
                return bad.message
    return None


class BaselinePipeline:
    """Measures one task's eager and compiled times; `run()` returns the result."""

    def __init__(self, req: EvalRequest) -> None:
        self.req, self.opts, self.task = req, req.options, req.task
        self.platform = get_platform(req.platform)
        # Inductor's and Triton's caches live with the harness's build cache, so a second bench run reuses them.
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(Path(req.cache_dir) / "inductor")
        os.environ.setdefault("TRITON_CACHE_DIR", str(Path(req.cache_dir) / "inductor" / "triton"))

    def result(self, status: BaselineStatus, message: str, **extra: Any) -> BaselineResult:
        return BaselineResult(status=status, message=message, platform=self.platform.name, **extra)

    def run(self) -> BaselineResult:
        threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
        torch.set_num_threads(threads)
        import torch._inductor.config as inductor_config

        # One compile thread: no worker pool competing with the timed runs for the cores.
        inductor_config.compile_threads = 1
        module = exec_module_from_source(self.task.source, "task", Path(self.req.private_dir) / "task")
        device = self.platform.device
        model = build_model(module.Model, init_inputs(module, self.task.id), seed=self.opts.seed + 42).to(device)
        model.eval()
        buffers = [a.to(device) if isinstance(a, torch.Tensor) else a
                   for a in input_groups(module, 99 + self.opts.seed, self.task.id)[0]]

        def fresh(bucket: int) -> list[Any]:
            values = input_groups(module, 50_000 + bucket + self.opts.seed, self.task.id)[0]
            for buf, val in zip(buffers, values):
                if isinstance(buf, torch.Tensor):
                    buf.copy_(val)
            return buffers

        with torch.no_grad():
            expected = model(*buffers)
            compiled, status, message, compile_s = self._compile(model, buffers, expected)
            outcome = self._timed(lambda a: model(*a), compiled or (lambda a: model(*a)), fresh)
        eager = _side(outcome.bucket_times["baseline"], outcome.baseline_min_ms, self.opts.seed)
        if compiled is None:
            return self.result(status, message, eager=eager, compile_seconds=compile_s)
        comp = _side(outcome.bucket_times["candidate"], outcome.candidate_min_ms, self.opts.seed)
        lo, hi = outcome.ci
        if not outcome.stable:
            return self.result(BaselineStatus.unstable, f"eager {eager.median_ms:.3f} ms; torch.compile vs eager "
                               f"did not settle: [{lo:.2f}, {hi:.2f}] around {outcome.speedup:.2f}x",
                               eager=eager, compiled=comp, compile_seconds=compile_s)
        return self.result(BaselineStatus.measured, f"eager {eager.median_ms:.3f} ms, torch.compile "
                           f"{comp.median_ms:.3f} ms ({outcome.speedup:.2f}x [{lo:.2f}, {hi:.2f}] vs eager)",
                           eager=eager, compiled=comp, compile_speedup=outcome.speedup, compile_speedup_ci=outcome.ci,
                           compile_seconds=compile_s)

    def _compile(self, model: torch.nn.Module, args: list[Any],
                 expected: Any) -> tuple[Any, BaselineStatus, str, float | None]:
        """The compiled forward (warmed on `args`), or None with why not."""
        if not self.opts.compile_baseline:
            return None, BaselineStatus.measured, "eager only (compile baseline not asked for)", None
        start = _PERF_COUNTER()
        compiled = torch.compile(model)
        try:
            got = compiled(*args)
            self.platform.synchronize()
        except Exception as exc:  # noqa: BLE001 - inductor fails in many ways; each is this baseline's verdict
            return None, BaselineStatus.compile_failed, f"torch.compile failed: {type(exc).__name__}: " \
                f"{str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ''}", _PERF_COUNTER() - start
        seconds = _PERF_COUNTER() - start
        bad = _mismatch(got, expected, self.task.tolerance)
        if bad:
            return None, BaselineStatus.mismatch, f"torch.compile disagrees with eager: {bad}", seconds
        return (lambda a: compiled(*a)), BaselineStatus.measured, "", seconds

    def _timed(self, eager: Any, other: Any, fresh: Any) -> TimingOutcome:
        lock = os.open(self.req.timing_lock, os.O_RDWR | os.O_CREAT, 0o600) if self.req.timing_lock else None
        config = TimingConfig(buckets=self.opts.buckets, min_bucket_ms=self.opts.min_bucket_ms)
        if lock is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return measure(eager, other, fresh, self.platform, _PERF_COUNTER, lambda _b, _c: None, config,
                           seed=self.opts.seed)
        finally:
            if lock is not None:
                fcntl.flock(lock, fcntl.LOCK_UN)
                os.close(lock)
