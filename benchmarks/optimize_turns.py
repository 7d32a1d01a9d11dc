"""Agent benchmark: LLM-free overhead of one optimize turn, and evaluations per minute through Ray.

    python benchmarks/optimize_turns.py [--turns 30] [--tasks 4] [--workers 1 2]

Prints:
- overhead per turn without the LLM and the evaluator: prompt build (exemplar query, templates), code
  extraction and the store writes of a turn (turn, evaluation, outcome), on a fresh SQLite store;
- evaluations per minute through Ray evaluator actors for each worker count, each on the suite's CPU
  example solutions of --tasks tasks, made unique per run so every kernel is rebuilt (the precompiled
  header stays warm): builds overlap across workers, timed runs never do.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kernelwright.agent.evaluators import ClusterConfig, EvaluatorPool  # noqa: E402
from kernelwright.agent.extract import extract_candidate  # noqa: E402
from kernelwright.agent.prompts import PromptBuilder, PromptInputs  # noqa: E402
from kernelwright.agent.prompts.builder import same_category_example  # noqa: E402
from kernelwright.db import Store  # noqa: E402
from kernelwright.db.enums import RunKind, TurnOutcome  # noqa: E402
from kernelwright.evaluator import EvalOptions  # noqa: E402
from kernelwright.evaluator.result import EvalResult, Reason, Stage, Status  # noqa: E402
from kernelwright.tasks.registry import example_solutions, resolve_task, suite_tasks  # noqa: E402


def turn_overhead(turns: int) -> list[float]:
    """Milliseconds per turn for prompt build + extraction + store writes."""
    task = resolve_task("activation/relu")
    example = same_category_example(task, "cpu")
    solution = example_solutions(task)["cpu"].read_text()
    builder = PromptBuilder()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/bench.db")
        store.upsert_task(task)
        run = store.create_run(RunKind.optimize)
        traj = store.add_trajectory(run, task.id, 0)
        times = []
        for i in range(turns):
            source = solution + f"\n# variant {i}\n"
            start = time.perf_counter()
            scored = store.scored_candidates(task.source_hash, "cpu")
            messages = builder.build(PromptInputs(task=task, platform="cpu", example=example, threads=1,
                                                  feedback=f"It was correct: {len(scored)} so far."))
            reply = f"Analysis.\n```python\n{source}```\n"
            candidate = extract_candidate(reply)
            assert candidate is not None
            turn_id = store.add_turn(traj, i, messages[1].content, reply, model="bench")
            result = EvalResult(status=Status.correct, reason=Reason.ok, stage=Stage.done, platform="cpu",
                                speedup=1.0 + i / 100, speedup_ci=(0.9, 1.2), task_id=task.id)
            evaluation = store.record_evaluation(task, candidate, result, turn_id=turn_id)
            row = store.get_evaluation(evaluation)
            assert row is not None
            store.set_turn_outcome(turn_id, TurnOutcome.evaluated, row.candidate_id, evaluation)
            times.append((time.perf_counter() - start) * 1e3)
        store.close()
    return times


def _unique(source: str, tag: str) -> str:
    # A comment inside the C++ string changes the build's content hash, so the kernel is rebuilt.
    return source.replace("#include <torch/extension.h>", f"#include <torch/extension.h>\n// bench {tag}", 1)


def evals_per_minute(workers: int, count: int) -> tuple[float, int]:
    """Evaluations per minute with `workers` actors over `count` suite examples (rebuilt); and how many passed."""
    tasks = [t for t in suite_tasks() if "cpu" in example_solutions(t)][:: max(1, 30 // count)][:count]
    jobs = [(resolve_task(t.id), _unique(example_solutions(t)["cpu"].read_text(), uuid.uuid4().hex)) for t in tasks]
    cluster = EvaluatorPool(ClusterConfig(workers=workers, temp_dir=tempfile.mkdtemp(prefix="kwb", dir="/tmp")), "cpu")
    cluster.start()
    try:
        async def run_all() -> list[EvalResult]:
            await cluster.hardware()  # actors up and the header warm before the clock starts
            options = EvalOptions(threads=1, correctness_trials=1)
            judged = await asyncio.gather(*(cluster.evaluate(task, src, options) for task, src in jobs))
            return [j.result for j in judged]

        start = time.perf_counter()
        results = asyncio.run(run_all())
        elapsed = time.perf_counter() - start
    finally:
        cluster.shutdown()
    return len(results) / elapsed * 60, sum(r.status is Status.correct for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--tasks", type=int, default=4)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    times = turn_overhead(args.turns)
    print(f"LLM-free overhead per turn ({args.turns} turns): median {statistics.median(times):.1f} ms, "
          f"min {min(times):.1f} ms, max {max(times):.1f} ms")
    for workers in args.workers:
        rate, ok = evals_per_minute(workers, args.tasks)
        print(f"{workers} evaluator worker(s): {rate:.2f} evaluations/minute ({ok}/{args.tasks} correct)")


if __name__ == "__main__":
    main()
