"""Search strategies side by side on the same budget, with a replay model instead of an LLM.

    python benchmarks/strategies.py [--seeds 5] [--trajectories 4] [--turns 6] [--task activation/relu]

The replay model draws every reply from a fixed pool of kernels whose verdicts are known before the run: the
task's shipped CPU example solution as the root, and a tree of its variants (each variant a copy made unique by
a `VARIANT` constant), where a variant of a kernel is mostly a little faster or slower than it and sometimes
wrong or does not build (a fixed, seeded landscape: the verdicts are drawn once, not measured). The model reads
its prompt: with probability `FOLLOW` it answers with a variant of a kernel the prompt shows (a parent the
strategy chose, or a contrastive exemplar), else with a fresh kernel near the root (never the root itself: the
shipped solution is not what a model writes first). The default strategy's prompts show no parent, only the
verdict on the last attempt and the exemplars, so it can follow only exemplars: that is what it shows a real
model too. The evaluators look the verdict up, so a run costs only the search's own work: prompts, the store.

Every strategy gets the same budget of model calls (trajectories x turns per task; the default's early stopping
is switched off so it spends them all too). Prints, per strategy, over the seeds: the best speedup found, the
share of calls that returned a correct kernel faster than eager (fast_1), the calls until the first correct
kernel, and the wall time of a run.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kernelwright.agent.evaluators import ClusterConfig, EvaluatorPool, EvaluatorSite, Judged  # noqa: E402
from kernelwright.agent.providers import ChatMessage, Completion, CompletionContext, Provider, ProviderConfig  # noqa: E402
from kernelwright.agent.search import SearchConfig  # noqa: E402
from kernelwright.agent.search_context import Event, EventKind, SearchContext  # noqa: E402
from kernelwright.agent.strategies import strategy_names  # noqa: E402
from kernelwright.agent.task_search import TaskSearch  # noqa: E402
from kernelwright.db import Store  # noqa: E402
from kernelwright.db.enums import RunKind  # noqa: E402
from kernelwright.evaluator import EvalOptions, EvalResult  # noqa: E402
from kernelwright.evaluator.platforms.base import HardwareInfo, Peaks  # noqa: E402
from kernelwright.evaluator.result import Reason, Stage, Status  # noqa: E402
from kernelwright.tasks.model import Task  # noqa: E402
from kernelwright.tasks.registry import example_solutions, resolve_task  # noqa: E402

FOLLOW = 0.8  # how often the replay answers with a variant of a kernel its prompt shows
DEPTH = 7  # the variant tree's depth: 2^DEPTH - 1 kernels
FAIL = 0.4  # the share of variants that do not build (half) or compute the wrong thing (half)
FRESH = range(2, 16)  # a fresh answer: one of the kernels two or three variants from the shipped solution
HARDWARE = HardwareInfo(fingerprint="replay", description="a replayed verdict pool")
_VARIANT = re.compile(r"VARIANT = (\d+)")


@dataclass(frozen=True)
class Pool:
    """Kernels 1..2^DEPTH-1 in a heap: kernel k's variants are 2k and 2k+1; each with a known verdict."""

    base: str
    verdicts: dict[int, EvalResult]

    @classmethod
    def build(cls, base: str, seed: int) -> Pool:
        rng = random.Random(seed)
        speed: dict[int, float] = {1: 1.0}
        verdicts: dict[int, EvalResult] = {}
        for k in range(1, 2 ** DEPTH):
            if k > 1:
                speed[k] = speed[k // 2] * rng.uniform(0.75, 1.35)
            roll = rng.random()
            if k > 1 and roll < FAIL / 2:
                verdicts[k] = _failure(Status.build_error, Reason.compile_error, Stage.build)
            elif k > 1 and roll < FAIL:
                verdicts[k] = _failure(Status.incorrect, Reason.output_mismatch, Stage.correctness)
            else:
                verdicts[k] = _correct(speed[k])
        return cls(base=base, verdicts=verdicts)

    def source(self, k: int) -> str:
        return f"{self.base.rstrip()}\n\nVARIANT = {k}\n"


def _correct(speedup: float) -> EvalResult:
    return EvalResult(status=Status.correct, reason=Reason.ok, stage=Stage.done, platform="cpu", speedup=speedup,
                      speedup_ci=(speedup * 0.97, speedup * 1.03), baseline_ms=1.0, candidate_ms=1.0 / speedup)


def _failure(status: Status, reason: Reason, stage: Stage) -> EvalResult:
    return EvalResult(status=status, reason=reason, stage=stage, platform="cpu", message=f"replayed {status.value}")


class ReplayEvaluators(EvaluatorPool):
    """Evaluators that serve a pooled kernel's known verdict."""

    def __init__(self, pool: Pool) -> None:
        super().__init__(ClusterConfig(), "cpu")
        self.pool = pool

    async def hardware(self) -> tuple[HardwareInfo, Peaks | None]:
        return HARDWARE, None

    async def evaluate(self, task: Task, source: str, options: EvalOptions) -> Judged:
        match = _VARIANT.search(source)
        result = self.pool.verdicts[int(match.group(1))] if match else _failure(Status.rejected, Reason.no_kernel,
                                                                                 Stage.static)
        return Judged(result=result.model_copy(update={"task_hash": task.source_hash}),
                      site=EvaluatorSite(node_id="replay", node_address="127.0.0.1", hardware=HARDWARE))


class ReplayModel(Provider):
    """Answers from the pool: a variant of a kernel the prompt shows, or a fresh one near the root."""

    name = "replay"
    offline = True

    def __init__(self, pool: Pool, seed: int) -> None:
        super().__init__(ProviderConfig(name="replay", model="replay"))
        self.pool, self.rng = pool, random.Random(seed)

    async def check(self) -> None:
        return None

    async def complete(self, messages: list[ChatMessage], context: CompletionContext) -> Completion:
        shown = [int(v) for v in _VARIANT.findall(messages[-1].content) if 2 * int(v) + 1 < 2 ** DEPTH]
        if shown and self.rng.random() < FOLLOW:
            k = 2 * self.rng.choice(shown) + self.rng.randint(0, 1)
        else:
            k = self.rng.choice(FRESH)
        return Completion(text=f"```python\n{self.pool.source(k)}```\n", model="replay")


@dataclass
class Outcome:
    best: float
    fast_share: float
    first_correct: int | None
    calls: int
    wall_s: float


def run_once(task: Task, pool: Pool, strategy: str, seed: int, trajectories: int, turns: int, db: Path) -> Outcome:
    """One task's search with `strategy` on a fresh store; the calls' verdicts in the order they came."""
    store = Store(f"sqlite:///{db}")
    store.upsert_task(task)
    run_id = store.create_run(RunKind.optimize, {"benchmark": "strategies"})
    search_config = SearchConfig(strategy=strategy, trajectories=trajectories, turns=turns, seed=seed,
                                 patience=turns, max_failures=turns)
    verdicts: list[EvalResult | None] = []

    def on_event(event: Event) -> None:
        if event.kind is EventKind.turn_done:
            verdicts.append(event.result)

    ctx = SearchContext(store=store, provider=ReplayModel(pool, seed), cluster=ReplayEvaluators(pool), run_id=run_id,
                        platform="cpu", search=search_config, eval=EvalOptions(), on_event=on_event,
                        hardware=HARDWARE)
    started = time.perf_counter()
    search = TaskSearch(ctx, task, resuming=False)
    search.prepare()
    asyncio.run(search.run())
    wall = time.perf_counter() - started
    store.close()
    speeds = [r.speedup for r in verdicts if r is not None and r.is_correct and r.speedup is not None]
    first = next((i + 1 for i, r in enumerate(verdicts) if r is not None and r.is_correct), None)
    return Outcome(best=max(speeds, default=0.0), fast_share=sum(s > 1.0 for s in speeds) / max(1, len(verdicts)),
                   first_correct=first, calls=len(verdicts), wall_s=wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trajectories", type=int, default=4)
    parser.add_argument("--turns", type=int, default=6)
    parser.add_argument("--task", default="activation/relu")
    parser.add_argument("--strategies", nargs="*", default=None, help="default: every registered one")
    args = parser.parse_args()
    task = resolve_task(args.task)
    base = example_solutions(task)["cpu"].read_text()
    names = args.strategies or strategy_names()
    results: dict[str, list[Outcome]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.seeds):
            pool = Pool.build(base, seed)
            for name in names:
                results[name].append(run_once(task, pool, name, seed, args.trajectories, args.turns,
                                              Path(tmp) / f"{name}-{seed}.db"))
    budget = args.trajectories * args.turns
    print(f"task {task.id}, budget {budget} calls ({args.trajectories} x {args.turns}), {args.seeds} seeds, "
          f"pool of {2 ** DEPTH - 1} replayed kernels; mean (min-max) over seeds")
    print("| strategy | calls | best speedup | fast_1 share | calls to first correct | wall s |")
    print("|---|---|---|---|---|---|")
    for name, outcomes in results.items():
        firsts = [o.first_correct for o in outcomes if o.first_correct is not None]
        best = [o.best for o in outcomes]
        print(f"| {name} | {statistics.mean(o.calls for o in outcomes):.0f} "
              f"| {statistics.mean(best):.2f}x ({min(best):.2f}-{max(best):.2f}) "
              f"| {statistics.mean(o.fast_share for o in outcomes):.0%} "
              f"| {statistics.mean(firsts) if firsts else float('nan'):.1f} "
              f"({len(firsts)}/{len(outcomes)} found one) "
              f"| {statistics.mean(o.wall_s for o in outcomes):.1f} |")


if __name__ == "__main__":
    main()
