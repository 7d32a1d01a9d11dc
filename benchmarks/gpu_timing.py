"""GPU timing cross-check: the jailed evaluator's speedup against `triton.testing.do_bench`, on the suite's GPU
examples.

    python benchmarks/gpu_timing.py [--platform triton|cuda|both] [--task matmul/gemm ...] [--buckets N]

For every `triton` / `cuda` example solution (at the task's `gpu` size), the example is evaluated the way a
candidate is (jailed runners, the judge's clock, fresh inputs per bucket; see evaluator/judge/timing.py), and then
timed again in this process with `do_bench` (CUDA events, L2 flush between runs). Prints both speedups, the
evaluator's interval, and both per-call times. The judge's per-call time is a difference of round times (n calls
against one), so it carries no fixed per-round cost; `do_bench` flushes L2 between runs where the judge's rounds
run back to back, so expect the two to agree on speedups more closely than on milliseconds.

Needs an NVIDIA GPU and triton; exits with a message otherwise. The examples are our own trusted code: the
`do_bench` side imports them in this process, with torch's own `load_inline`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from kernelwright.evaluator.api import evaluate  # noqa: E402
from kernelwright.evaluator.platforms import get_platform  # noqa: E402
from kernelwright.evaluator.platforms.gpu import cuda_available  # noqa: E402
from kernelwright.evaluator.request import EvalOptions  # noqa: E402
from kernelwright.evaluator.result import EvalResult  # noqa: E402
from kernelwright.tasks.inputs import build_model, init_inputs, input_groups  # noqa: E402
from kernelwright.tasks.loader import task_at_size  # noqa: E402
from kernelwright.tasks.model import Task  # noqa: E402
from kernelwright.tasks.module import exec_module_from_source  # noqa: E402
from kernelwright.tasks.registry import example_solutions, resolve_task, suite_tasks  # noqa: E402


def do_bench_speedup(task: Task, source: str) -> tuple[float, float]:
    """(reference ms, example ms) by `do_bench`, both models built from the same seed on the same inputs."""
    from triton.testing import do_bench

    task_module = exec_module_from_source(task.source, "bench_task")
    init = init_inputs(task_module, task.id)
    reference = build_model(task_module.Model, init, seed=42).cuda()
    candidate = build_model(exec_module_from_source(source, "bench_candidate").ModelNew, init, seed=42).cuda()
    if reference.state_dict() and set(reference.state_dict()) == set(candidate.state_dict()):
        candidate.load_state_dict(reference.state_dict())
    inputs: list[Any] = [a.cuda() if isinstance(a, torch.Tensor) else a
                         for a in input_groups(task_module, 99, task.id)[0]]
    with torch.no_grad():
        return (do_bench(lambda: reference(*inputs), return_mode="median"),
                do_bench(lambda: candidate(*inputs), return_mode="median"))


def _row(task: Task, platform: str, result: EvalResult, db_base: float, db_cand: float) -> str:
    lo, hi = result.speedup_ci or (float("nan"), float("nan"))
    why = "" if result.speedup else f"\n    {result.reason.value}: {result.message[:300]}"
    return (f"{task.id:30} {platform:6} {result.status.value:9} {result.speedup or float('nan'):8.2f} "
            f"[{lo:5.2f}, {hi:5.2f}] {db_base / db_cand:9.2f} {result.baseline_ms or float('nan'):10.4f} "
            f"{result.candidate_ms or float('nan'):10.4f} {db_base:10.4f} {db_cand:10.4f}{why}")


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
    options = EvalOptions(buckets=args.buckets, correctness_trials=1, timeout_s=600)
    print(f"device: {get_platform('cuda').hardware().description}")
    print(f"{'task':30} {'plat':6} {'status':9} {'speedup':>8} {'interval':>14} {'do_bench':>9} {'base ms':>10} "
          f"{'cand ms':>10} {'db base':>10} {'db cand':>10}", flush=True)
    agreement: list[float] = []
    for task in tasks:
        sized = task_at_size(task, "gpu") if "gpu" in task.sizes else task
        for platform in platforms:
            path = example_solutions(task).get(platform)
            if path is None:
                continue
            source = path.read_text(encoding="utf-8")
            result = evaluate(sized, source, platform, options)
            db_base, db_cand = do_bench_speedup(sized, source)
            print(_row(task, platform, result, db_base, db_cand), flush=True)
            if result.speedup:
                agreement.append(result.speedup / (db_base / db_cand))
    if agreement:
        print(f"evaluator speedup / do_bench speedup: median {statistics.median(agreement):.3f} "
              f"(min {min(agreement):.3f}, max {max(agreement):.3f}) over {len(agreement)} examples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
