"""Throughput benchmark: verdicts per minute per core on a fixed mixed candidate set, timing with and without the
early decision (harness 2.2.0's looks), side by side in one run.

    python benchmarks/throughput.py [--rounds 2] [--load N]

The set, on the fused relu(2x+1) task of benchmarks/cases (512 x 8192 floats) and `activation/relu`:
- fast: the fused kernel (3-7x faster than eager on an idle machine);
- slow: the same loop doing its arithmetic 40 times over (about 0.2x);
- even: the suite's relu example (about 1x);
- identity: `ModelNew = Model` on the allow-torch track (must contain 1.0);
- wrong: relu(2x), off by one everywhere (incorrect at the first comparison);
- broken: a kernel that does not compile (build_error).
After one untimed pass (kernels built and cached, reference runners started, as in a long bench), each candidate is
evaluated --rounds times in each mode, the modes alternating candidate by candidate so that both see the same
machine. Printed: per mode, evaluations per minute and per minute per core (this machine's cores),
the median wall time per candidate, and whether each candidate got the same verdict (status, and for timed ones
the decision) in both modes; identity intervals that contain 1.0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kernelwright.evaluator import EvalOptions, EvalResult, Status, evaluate  # noqa: E402
from kernelwright.evaluator.api import checked_task  # noqa: E402
from kernelwright.tasks.loader import load_task  # noqa: E402
from kernelwright.tasks.model import Task  # noqa: E402
from kernelwright.tasks.registry import example_solutions, resolve_task  # noqa: E402

CASES = Path(__file__).resolve().parent / "cases"
FUSED = (CASES / "relu_2x1.cpu.py").read_text()
SLOW = FUSED.replace("const float v = 2.f * in[i] + 1.f;",
                     "float v = in[i];\n        for (int k = 0; k < 40; ++k) v = v * 1.0001f + 1e-7f;\n"
                     "        v = 2.f * in[i] + 1.f + (v - v);").replace('name="relu_2x1"', 'name="relu_2x1_slow"')
WRONG = FUSED.replace("2.f * in[i] + 1.f", "2.f * in[i]").replace('name="relu_2x1"', 'name="relu_2x1_wrong"')
BROKEN = FUSED.replace("return y;", "return y").replace('name="relu_2x1"', 'name="relu_2x1_broken"')
IDENTITY = "\nModelNew = Model\n"


def candidates() -> list[tuple[str, Task, str, bool]]:
    """(name, task, source, allow_torch) for the mixed set."""
    fused = checked_task(load_task(CASES / "relu_2x1.py"))
    relu = checked_task(resolve_task("activation/relu"))
    return [("fast", fused, FUSED, False), ("slow", fused, SLOW, False),
            ("even", relu, example_solutions(relu)["cpu"].read_text(), False),
            ("identity", fused, fused.source + IDENTITY, True), ("wrong", fused, WRONG, False),
            ("broken", fused, BROKEN, False)]


def verdict(result: EvalResult) -> str:
    decision = result.timing.decision if result.timing is not None else None
    return result.status.value + (f"/{decision}" if decision and result.status is Status.correct else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2, help="evaluations of each candidate in each mode")
    parser.add_argument("--load", type=int, default=0, help="busy loops to run beside the benchmark")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.load)]
    try:
        cases = candidates()
        modes = {"early": True, "full": False}
        seconds: dict[str, list[float]] = {mode: [] for mode in modes}
        verdicts: dict[tuple[str, str], list[str]] = {}
        identity: list[bool] = []
        for _, task, source, allow_torch in cases:  # builds cached and reference sessions started, untimed
            evaluate(task, source, "cpu", EvalOptions(allow_torch=allow_torch, timing=False))
        print(f"{len(cases)} candidates x {args.rounds} rounds x {len(modes)} modes on {cores} cores, "
              f"load average at start: {os.getloadavg()[0]:.2f}", flush=True)
        for round_ in range(args.rounds):
            for name, task, source, allow_torch in cases:
                order = list(modes) if round_ % 2 == 0 else list(reversed(modes))
                for mode in order:
                    options = EvalOptions(allow_torch=allow_torch, early_stop=modes[mode], seed=round_)
                    began = time.perf_counter()
                    result = evaluate(task, source, "cpu", options)
                    took = time.perf_counter() - began
                    seconds[mode].append(took)
                    verdicts.setdefault((name, mode), []).append(verdict(result))
                    timing = result.timing
                    ci = f" [{result.speedup_ci[0]:.2f}, {result.speedup_ci[1]:.2f}]" if result.speedup_ci else ""
                    if name == "identity" and result.speedup_ci is not None:
                        identity.append(result.speedup_ci[0] <= 1.0 <= result.speedup_ci[1])
                    elif name == "identity" and result.status is Status.unstable:
                        identity.append(True)  # an unstable interval straddles 1.0 by definition
                    stopped = f"  {timing.buckets} buckets, {timing.stopped.value}" if timing and timing.stopped else ""
                    print(f"  {name:8s} {mode:5s} {took:6.2f} s  {verdict(result):28s}"
                          f"{(result.speedup or 0):6.2f}x{ci}{stopped}", flush=True)
        for mode in modes:
            total = sum(seconds[mode])
            per_minute = 60 * len(seconds[mode]) / total
            print(f"{mode}: {per_minute:.2f} evaluations per minute, {per_minute / cores:.2f} per minute per core; "
                  f"median {statistics.median(seconds[mode]):.2f} s per evaluation")
        ratio = sum(seconds["full"]) / sum(seconds["early"])
        print(f"early / full throughput: {ratio:.2f}x")
        for name, *_ in cases:
            early, full = verdicts[(name, "early")], verdicts[(name, "full")]
            same = "same" if sorted(early) == sorted(full) else "DIFFERENT"
            print(f"  {name:8s} early {', '.join(early)}; full {', '.join(full)}: {same}")
        if identity:
            print(f"identity: {sum(identity)}/{len(identity)} intervals contain 1.0")
        print(f"load average at end: {os.getloadavg()[0]:.2f}")
    finally:
        for process in busy:
            process.kill()


if __name__ == "__main__":
    main()
