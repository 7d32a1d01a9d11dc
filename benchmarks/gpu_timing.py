"""GPU timing cross-check: the evaluator's timer against `triton.testing.do_bench`, on the suite's GPU examples.

    python benchmarks/gpu_timing.py [--platform triton|cuda|both] [--task reduce/sum_dim1 ...]

For every `triton` / `cuda` example solution (at the task's `gpu` size), times the reference and the example
twice, in this process: once with `evaluator.timing.measure` (CUDA events, L2 flush, a device-wide sync
before the end event, interleaved buckets), once with `do_bench` (CUDA events, L2 flush, no sync before the
end event). Prints both medians, their ratio, and both speedups. Our end event waits for a device-wide
synchronize, which adds a fixed few microseconds per run: expect ours >= do_bench, by a margin that matters
only for kernels that take a few microseconds.

Needs an NVIDIA GPU and triton; exits with a message otherwise. The examples are trusted code: they are
imported here without the sandbox.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from evaluator.timing import TimingConfig, measure  # noqa: E402

from evaluator.platforms import get_platform  # noqa: E402
from evaluator.platforms.gpu import cuda_available  # noqa: E402
from tasks.inputs import build_model, init_inputs, input_groups  # noqa: E402
from tasks.loader import task_at_size  # noqa: E402
from tasks.model import Task  # noqa: E402
from tasks.module import exec_module_from_source  # noqa: E402
from tasks.registry import example_solutions, resolve_task, suite_tasks  # noqa: E402


def load_candidate(source: str, platform: str) -> Any:
    """Import an example the way the evaluator's child does, with `load_inline` routed to the cached builder."""
    if platform != "cuda":
        return exec_module_from_source(source, "bench_candidate")
    from torch.utils import cpp_extension

    from evaluator.build.cuda import patched_load_inline

    original = cpp_extension.load_inline
    cpp_extension.load_inline = patched_load_inline(get_platform("cuda").builder)  # type: ignore[attr-defined]
    try:
        return exec_module_from_source(source, "bench_candidate")
    finally:
        cpp_extension.load_inline = original


def bench_one(task: Task, source: str, platform: str, buckets: int) -> dict[str, float]:
    from triton.testing import do_bench

    sized = task_at_size(task, "gpu") if "gpu" in task.sizes else task
    task_module = exec_module_from_source(sized.source, "bench_task")
    init = init_inputs(task_module, sized.id)
    reference = build_model(task_module.Model, init, seed=42).cuda()
    candidate_cls = load_candidate(source, platform).ModelNew
    candidate = build_model(candidate_cls, init, seed=42).cuda()
    if reference.state_dict() and set(reference.state_dict()) == set(candidate.state_dict()):
        candidate.load_state_dict(reference.state_dict())
    inputs = [a.cuda() if isinstance(a, torch.Tensor) else a for a in input_groups(task_module, 99, sized.id)[0]]
    plat = get_platform(platform)
    with torch.no_grad():
        outcome = measure(lambda a: reference(*a), lambda a: candidate(*a), lambda _bucket: inputs, plat,
                          time.perf_counter, lambda _b, _c: None, TimingConfig(buckets=buckets), seed=0)
        base_db = do_bench(lambda: reference(*inputs), return_mode="median")
        cand_db = do_bench(lambda: candidate(*inputs), return_mode="median")
    return {"ours_base": outcome.baseline_ms, "ours_cand": outcome.candidate_ms, "db_base": base_db,
            "db_cand": cand_db, "ours_speedup": outcome.speedup, "db_speedup": base_db / cand_db}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--platform", choices=["triton", "cuda", "both"], default="both")
    parser.add_argument("--task", action="append", help="suite ids (default: every task with a GPU example)")
    parser.add_argument("--buckets", type=int, default=12)
    args = parser.parse_args()
    if not cuda_available():
        print("gpu_timing: no NVIDIA GPU here (torch.cuda.is_available() is False); this benchmark times kernels "
              "on a GPU and has nothing to measure on this machine", file=sys.stderr)
        return 2
    try:
        import triton.testing  # noqa: F401
    except ImportError:
        print("gpu_timing: triton is not installed (`pip install 'kernelwright[triton]'`)", file=sys.stderr)
        return 2
    platforms = ["triton", "cuda"] if args.platform == "both" else [args.platform]
    tasks = [resolve_task(t) for t in args.task] if args.task else suite_tasks()
    print(f"device: {get_platform('cuda').hardware().description}")
    print(f"{'task':34} {'plat':6} {'ours base':>10} {'ours cand':>10} {'do_bench b':>10} {'do_bench c':>10} "
          f"{'ratio b':>8} {'ratio c':>8} {'speedup':>8} {'db spdup':>8}")
    ratios: list[float] = []
    for task in tasks:
        for platform in platforms:
            path = example_solutions(task).get(platform)
            if path is None:
                continue
            row = bench_one(task, path.read_text(encoding="utf-8"), platform, args.buckets)
            rb, rc = row["ours_base"] / row["db_base"], row["ours_cand"] / row["db_cand"]
            ratios += [rb, rc]
            print(f"{task.id:34} {platform:6} {row['ours_base']:10.4f} {row['ours_cand']:10.4f} "
                  f"{row['db_base']:10.4f} {row['db_cand']:10.4f} {rb:8.3f} {rc:8.3f} "
                  f"{row['ours_speedup']:8.2f} {row['db_speedup']:8.2f}")
    if ratios:
        print(f"ours / do_bench, median over all timings: {statistics.median(ratios):.3f} "
              f"(min {min(ratios):.3f}, max {max(ratios):.3f}); times in ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
