"""`python -m <package>.check`: does the exported kernel beat the reference on *this* machine? Copied verbatim
into every package as `check.py`; it depends on torch alone (Kernelwright never imports it).

It times the op against the task's reference at one sweep point (the task's own by default) in interleaved
rounds: each round times a batch of reference calls and a batch of op calls, in alternating order, and keeps
their ratio. The speedup is the median ratio, with an order-statistic interval for it (the median lies between
the j-th smallest and j-th largest of n ratios with probability 1 - 2 P(Binomial(n, 1/2) < j), whatever the
timings' distribution), printed beside what the evaluator measured and how the package was built here.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

PACKAGE = __name__.rpartition(".")[0] or Path(__file__).resolve().parent.name
MIN_BATCH_S = 0.02  # a timed batch long enough that one call's jitter (or a preemption) is a small part of it


def order_interval(values: list[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """The median of `values` and its distribution-free interval (the full range when there are too few)."""
    ordered = sorted(values)
    n = len(ordered)
    mid = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    best = 1
    for j in range(2, n // 2 + 1):
        if 1 - 2 * sum(math.comb(n, i) for i in range(j)) / 2**n < confidence:
            break
        best = j
    return mid, ordered[best - 1], ordered[n - best]


def _batch_seconds(fn: Callable[[], Any], calls: int, device: str) -> float:
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def measure(point: str | None = None, rounds: int = 15, device: str | None = None) -> dict[str, Any]:
    """Time the op against the reference at `point` (default: the task's own) on this machine."""
    package = importlib.import_module(PACKAGE)
    runtime = importlib.import_module(f"{PACKAGE}._runtime")
    spec = runtime.SPEC
    point = point or ("p_task" if "p_task" in spec["test_points"] else spec["test_points"][0])
    device = device or next(iter(spec["kernels"]))
    task = runtime.point_task(point)
    torch.manual_seed(0)
    init = task.get_init_inputs()
    reference = task.Model(*init).to(device)
    exported = package.Module(*init).to(device)
    exported.reference.load_state_dict(reference.state_dict())
    inputs = [x.to(device) if isinstance(x, torch.Tensor) else x for x in task.get_inputs()]
    with torch.no_grad():
        def run_reference() -> Any:
            return reference(*inputs)

        def run_op() -> Any:
            return exported(*inputs)

        package.reset_fallbacks()
        run_op()
        fallbacks = package.fallback_reasons()
        one = max(_batch_seconds(run_reference, 1, device), _batch_seconds(run_op, 1, device), 1e-7)
        calls = max(1, math.ceil(MIN_BATCH_S / one))
        ratios = []
        for r in range(rounds):
            if r % 2:
                op_s, ref_s = _batch_seconds(run_op, calls, device), _batch_seconds(run_reference, calls, device)
            else:
                ref_s, op_s = _batch_seconds(run_reference, calls, device), _batch_seconds(run_op, calls, device)
            ratios.append(ref_s / op_s)
    speedup, low, high = order_interval(ratios)
    claim = spec["kernels"][device].get("claims", {}).get(point)
    build = package.build_info()
    return {"point": point, "device": device, "rounds": rounds, "calls_per_round": calls, "speedup": speedup,
            "interval": [low, high], "fallbacks": fallbacks, "evaluator": claim, "build": build}


def report(result: dict[str, Any]) -> str:
    """`measure`'s result in words."""
    low, high = result["interval"]
    lines = [f"build: {result['build']['note']}",
             f"here, at {result['point']} on {result['device']}: {result['speedup']:.2f}x the reference, "
             f"95% interval [{low:.2f}, {high:.2f}] ({result['rounds']} interleaved rounds of "
             f"{result['calls_per_round']} calls each)"]
    if result["fallbacks"]:
        lines.append(f"the op ran the reference here ({result['fallbacks']}): this compares the reference with itself")
    claim = result["evaluator"]
    if claim and claim.get("speedup") is not None:
        ci = claim.get("speedup_ci")
        lines.append(f"the evaluator measured {claim['speedup']:.2f}x" + (f" [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else "")
                     + f" on {result['build']['measured_cpu'] or 'its machine'}")
    verdict = ("faster here" if low > 1 else "slower here" if high < 1 else
               "not measurably faster or slower here (the interval holds 1.0)")
    lines.append(f"verdict: {verdict}")
    return "\n".join(lines)


def main() -> None:
    """The command line: `python -m <package>.check [--point P] [--rounds N] [--json]`."""
    parser = argparse.ArgumentParser(prog=f"python -m {PACKAGE}.check", description=__doc__.splitlines()[0])
    parser.add_argument("--point", help="a sweep point the kernel passed (see export.json's test_points)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--device", help="cpu or cuda (default: the package's first)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.point, max(args.rounds, 1), args.device)
    print(json.dumps(result) if args.json else report(result))


if __name__ == "__main__":
    main()
