"""Evaluator benchmark: kernel build times, one evaluation's wall time, and timing honesty.

    python benchmarks/evaluator.py [--runs 10] [--task activation/relu]

Prints:
- the one-time precompiled-header build, a cold build of a never-seen kernel, and a warm (cached) build;
- the wall time of one full evaluation of the task's example solution;
- timing honesty: `ModelNew = Model` on the allow-torch track, evaluated --runs times: how many 95%
  intervals contain 1.0, and the spread of the median speedups.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluator import EvalOptions, evaluate  # noqa: E402
from evaluator.build.cpp import CppBuilder  # noqa: E402
from tasks.registry import example_solutions, resolve_task  # noqa: E402

KERNEL = r"""
torch::Tensor scale(torch::Tensor x) {
    auto y = torch::empty_like(x);
    const float* a = x.data_ptr<float>();
    float* b = y.data_ptr<float>();
    for (int64_t i = 0; i < x.numel(); ++i) b[i] = a[i] * %s;
    return y;
}
"""


def build_times() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="kw_bench_cache_"))
    try:
        builder = CppBuilder(cache_dir=scratch)
        start = time.perf_counter()
        builder.ensure_pch()
        pch = time.perf_counter() - start
        source = KERNEL % f"{uuid.uuid4().int % 1000 + 2}.0f"
        start = time.perf_counter()
        builder.load_inline(name="bench_scale", cpp_sources=source, functions=["scale"])
        cold = time.perf_counter() - start
        warm_builder = CppBuilder(cache_dir=scratch)
        start = time.perf_counter()
        warm_builder.load_inline(name="bench_scale", cpp_sources=source, functions=["scale"])
        warm = time.perf_counter() - start
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"precompiled header (once per toolchain): {pch:6.1f} s")
    print(f"cold kernel build:                       {cold:6.1f} s")
    print(f"warm kernel build (cache hit):           {warm * 1e3:6.1f} ms")


def one_evaluation(task_id: str) -> None:
    task = resolve_task(task_id)
    source = example_solutions(task)["cpu"].read_text()
    evaluate(task, source)  # warm the build cache and peaks
    start = time.perf_counter()
    result = evaluate(task, source)
    wall = time.perf_counter() - start
    lo, hi = result.speedup_ci or (float("nan"), float("nan"))
    print(f"full evaluation of {task_id} (warm cache): {wall:.1f} s wall -> {result.status.value}, "
          f"{result.speedup or float('nan'):.2f}x [{lo:.2f}, {hi:.2f}]")


def honesty(task_id: str, runs: int) -> None:
    task = resolve_task(task_id)
    source = task.source + "\nModelNew = Model\n"
    medians, contained = [], 0
    for i in range(runs):
        result = evaluate(task, source, options=EvalOptions(allow_torch=True, seed=i))
        if result.speedup is None or result.speedup_ci is None:
            print(f"  run {i + 1}: {result.status.value} ({result.message})")
            continue
        lo, hi = result.speedup_ci
        inside = lo <= 1.0 <= hi
        contained += inside
        medians.append(result.speedup)
        print(f"  run {i + 1}: {result.speedup:.3f}x [{lo:.3f}, {hi:.3f}] {'contains 1.0' if inside else 'MISSES 1.0'}")
    if medians:
        print(f"timing honesty: {contained}/{runs} intervals contain 1.0; "
              f"medians {min(medians):.3f}..{max(medians):.3f} (stdev {statistics.pstdev(medians):.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--task", default="activation/relu")
    args = parser.parse_args()
    build_times()
    one_evaluation(args.task)
    honesty(args.task, args.runs)


if __name__ == "__main__":
    main()
