"""A bench run's numbers, computed from the store alone: fast_p, geometric-mean speedup with a bootstrap
interval, pass@k and speedup@k, correctness and build-error rates, per category and level, against eager and
against `torch.compile`.

Definitions (also in the README):
- a *sample* is one trajectory (up to T turns); it is correct when any of its turns produced a correct kernel
  (verified outputs: an `unstable` verdict, whose timing never settled, counts, untimed), and its speedup is the
  fastest correct, timed kernel it produced (point estimate; interval kept alongside).
- a task's result is its best sample. `fast_p` = share of all tasks (failures count) that are correct with
  speedup > p; `fast_0` is the correctness rate (untimed-but-correct counts there).
- `geomean` is over correct, timed tasks, with a 95% bootstrap interval over tasks.
- `pass@k` is the unbiased estimator 1 - C(n-c, k) / C(n, k) (n samples, c correct), averaged over tasks.
- `speedup@k` is the geometric mean over tasks of the expected best of k samples, where a sample is worth
  max(1, its speedup) (no correct kernel, or a slower one, means you keep PyTorch: 1.0).
- both take the samples to be independent draws, which they are only under a strategy whose workers never see each
  other's kernels (`parallel`); under `evolution` or `tree` they are given for k = n alone (the whole budget).
- against `torch.compile`: a task's speedup divided by the compile baseline's eager/compiled ratio, measured side
  by side for that task on the hardware its best kernel was timed on; the interval combines both intervals
  conservatively.
- hardware: on a cluster of unlike machines each task is labelled with the hardware its best kernel was timed on,
  and `by_hardware` groups the tasks by it; a speedup is never set against another machine's baseline.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from pydantic import BaseModel, Field

from kernelwright.agent.bench.config import BenchConfig, Split
from kernelwright.agent.strategies import DEFAULT_STRATEGY, UnknownStrategy
from kernelwright.agent.strategies.base import strategy_class
from kernelwright.db import Store
from kernelwright.db.enums import BaselineKind, RunKind, RunStatus, TurnOutcome
from kernelwright.db.provenance import VerdictKey
from kernelwright.db.rows import EvaluationRow
from kernelwright.evaluator import BaselineStatus
from kernelwright.evaluator.result import EvalResult, Status, ToleranceMode

FAST_P = (0.0, 0.5, 1.0, 1.5, 2.0)


class Sample(BaseModel):
    """One trajectory's outcome."""

    trajectory: int
    correct: bool = False
    speedup: float | None = None
    speedup_ci: tuple[float, float] | None = None
    hardware_id: int | None = Field(default=None, description="the hardware its best kernel was timed on")
    # Best-so-far speedup after each turn (None until a correct, timed kernel), for the speedup-vs-turn plot.
    best_by_turn: list[float | None] = Field(default_factory=list)


class TaskOutcome(BaseModel):
    """One task's samples and its best result."""

    task_id: str
    category: str
    level: int
    held_out: bool
    samples: list[Sample]
    correct: bool
    speedup: float | None = None
    speedup_ci: tuple[float, float] | None = None
    hardware: str = Field(default="", description="the hardware its best kernel was timed on")
    compile_ratio: float | None = Field(default=None, description="eager time / torch.compile time")
    vs_compile: float | None = None
    vs_compile_ci: tuple[float, float] | None = None
    evaluations: int = 0
    build_errors: int = 0
    turns: int = 0
    no_code: int = 0


class GroupMetrics(BaseModel):
    """The leaderboard numbers of a set of tasks."""

    tasks: int
    correct_rate: float
    fast_p: dict[str, float]
    geomean: float | None = None
    geomean_ci: tuple[float, float] | None = None
    verified_fast_1: float = Field(description="share of tasks whose best speedup's interval is above 1.0")
    geomean_vs_compile: float | None = None
    fast_1_vs_compile: float | None = None
    compile_tasks: int = Field(default=0, description="tasks with a torch.compile baseline")
    pass_at_k: dict[str, float]
    speedup_at_k: dict[str, float]
    build_error_rate: float | None = None
    no_code_rate: float | None = None
    evaluations: int = 0


class RunMetrics(BaseModel):
    """A bench run's config, split, numbers overall and by category and level, and each task's outcome."""

    run_id: str
    status: RunStatus
    model: str
    provider: str
    platform: str
    hardware: str
    selection: str
    split: Split
    samples: int
    turns: int
    strategy: str = DEFAULT_STRATEGY
    independent_samples: bool = Field(default=True, description="the strategy's workers are independent samples "
                                      "(pass@k for every k), or not (pass@k for k = samples alone)")
    harness_versions: list[str]
    tolerance: ToleranceMode = Field(default=ToleranceMode.task, description="the tolerance its verdicts used")
    rescored: bool = False
    created_at: str
    overall: GroupMetrics
    by_category: dict[str, GroupMetrics]
    by_level: dict[str, GroupMetrics]
    by_hardware: dict[str, GroupMetrics] = Field(default_factory=dict)
    tasks: list[TaskOutcome]


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for n samples of which c are correct (Chen et al., 2021)."""
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def expected_best_of_k(values: list[float], k: int) -> float:
    """Expected maximum of a k-subset drawn without replacement from `values`."""
    ordered = sorted(values)
    n = len(ordered)
    total = math.comb(n, k)
    return sum(v * math.comb(i, k - 1) for i, v in enumerate(ordered) if i >= k - 1) / total


def geomean_with_ci(values: list[float], resamples: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """Geometric mean and a 95% percentile-bootstrap interval over the values (tasks)."""
    logs = np.log(np.asarray(values, dtype=float))
    point = float(np.exp(logs.mean()))
    if logs.size == 1:
        return point, point, point
    rng = np.random.default_rng(seed)
    means = rng.choice(logs, size=(resamples, logs.size), replace=True).mean(axis=1)
    lo, hi = np.quantile(means, [0.025, 0.975])
    return point, float(np.exp(lo)), float(np.exp(hi))


def k_values(n: int) -> list[int]:
    """1, 2, 4, ... up to n, and n."""
    ks = sorted({*(2**i for i in range(n.bit_length()) if 2**i <= n), n})
    return [k for k in ks if k >= 1]


def group_metrics(outcomes: list[TaskOutcome], samples: int, independent: bool = True) -> GroupMetrics:
    """The leaderboard numbers of `outcomes` (tasks with no sample count as failures). `independent`: the samples
    are independent draws, so pass@k and speedup@k are defined for every k (else for k = `samples` alone)."""
    n = len(outcomes)
    timed = [o for o in outcomes if o.correct and o.speedup is not None]
    fast = {f"{p:g}": (sum(o.correct and (p == 0 or (o.speedup or 0) > p) for o in outcomes) / n if n else 0.0)
            for p in FAST_P}
    metrics = GroupMetrics(tasks=n, correct_rate=fast["0"], fast_p=fast, pass_at_k={}, speedup_at_k={},
                           verified_fast_1=(sum(o.speedup_ci is not None and o.speedup_ci[0] > 1.0 for o in timed)
                                            / n if n else 0.0))
    if timed:
        metrics.geomean, lo, hi = geomean_with_ci([max(o.speedup or 0.0, 1e-9) for o in timed])
        metrics.geomean_ci = (lo, hi)
    compiled = [o for o in outcomes if o.compile_ratio is not None]
    metrics.compile_tasks = len(compiled)
    if compiled:
        metrics.fast_1_vs_compile = sum(o.vs_compile is not None and o.vs_compile > 1 for o in compiled) / len(compiled)
        vs = [o.vs_compile for o in compiled if o.vs_compile is not None]
        if vs:
            metrics.geomean_vs_compile = geomean_with_ci(vs)[0]
    for k in k_values(samples) if independent else [samples]:
        usable = [o for o in outcomes if len(o.samples) >= k]
        if not usable:
            continue
        metrics.pass_at_k[str(k)] = float(np.mean([pass_at_k(len(o.samples), sum(s.correct for s in o.samples), k)
                                                   for o in usable]))
        best = [expected_best_of_k([max(1.0, s.speedup or 1.0) if s.correct else 1.0 for s in o.samples], k)
                for o in usable]
        metrics.speedup_at_k[str(k)] = float(np.exp(np.mean(np.log(best))))
    evaluations = sum(o.evaluations for o in outcomes)
    turns = sum(o.turns for o in outcomes)
    metrics.evaluations = evaluations
    metrics.build_error_rate = sum(o.build_errors for o in outcomes) / evaluations if evaluations else None
    metrics.no_code_rate = sum(o.no_code for o in outcomes) / turns if turns else None
    return metrics


def rescore_map(store: Store, run_id: str) -> dict[int, int]:
    """Evaluation id -> its newest re-evaluation, over every finished `rescore` of this run (empty if none)."""
    mapping: dict[int, int] = {}
    for run in reversed(store.list_runs(kind=RunKind.eval)):  # oldest first: later re-scores win
        config = run.config or {}
        if config.get("rescore_of") == run_id and run.status is RunStatus.finished:
            mapping.update({int(k): int(v) for k, v in config.get("evaluations", {}).items()})
    return mapping


def _sample(store: Store, trajectory_id: int, index: int, remap: dict[int, int],
            counts: dict[str, int]) -> Sample:
    sample = Sample(trajectory=index)
    best: float | None = None
    for turn in store.turns_for_trajectory(trajectory_id):
        counts["turns"] += 1
        counts["no_code"] += turn.outcome is TurnOutcome.no_code
        result: EvalResult | None = None
        row: EvaluationRow | None = None
        if turn.evaluation_id is not None:
            row = store.get_evaluation(remap.get(turn.evaluation_id, turn.evaluation_id))
            result = row.result if row is not None else None
        if result is not None:
            counts["evaluations"] += 1
            counts["build_errors"] += result.status is Status.build_error
            # `unstable`: outputs verified, timing never settled (a busy machine): correct but untimed.
            if result.is_correct or result.status is Status.unstable:
                sample.correct = True
                if result.is_correct and result.speedup is not None and (best is None or result.speedup > best):
                    best = result.speedup
                    sample.speedup, sample.speedup_ci = result.speedup, result.speedup_ci
                    sample.hardware_id = None if row is None else row.hardware_id
        sample.best_by_turn.append(best)
    return sample


def _compile_ratio(store: Store, task_id: str, task_hash: str, hardware_id: int | None, platform: str,
                   key: VerdictKey) -> tuple[float, float, float] | None:
    row = store.latest_baseline(task_id, hardware_id, platform, BaselineKind.compile, task_hash=task_hash, key=key)
    if row is None or row.status is not BaselineStatus.measured or row.vs_eager is None:
        return None
    return row.vs_eager


def run_metrics(store: Store, run_id: str, split: Split = Split.all, category: str | None = None) -> RunMetrics:
    """The numbers of a stored bench run, restricted to a split and optionally one category."""
    run = store.get_run(run_id)
    if run is None or run.kind is not RunKind.bench:
        raise LookupError(f"no bench run {run_id!r} in the store (see `kernelwright leaderboard`)")
    raw = run.config or {}
    config = BenchConfig.model_validate(raw["bench"])
    remap = rescore_map(store, run_id)
    independent = _independent_workers(config.search.strategy)
    run_hardware = str(raw.get("hardware", ""))
    names: dict[int, str] = {}
    by_task: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for traj in store.trajectories_for_run(run_id):
        by_task[traj.task_id].append((traj.index, traj.id))
    outcomes: list[TaskOutcome] = []
    harnesses: set[str] = set()
    for bench_task in config.tasks:
        row = store.get_task(bench_task.id)
        if row is None:
            continue
        if not split.keeps(row.held_out) or (category is not None and row.category != category):
            continue
        counts: dict[str, int] = defaultdict(int)
        samples = [_sample(store, traj_id, index, remap, counts) for index, traj_id in sorted(by_task[row.id])]
        best = max((s for s in samples if s.correct and s.speedup is not None), key=lambda s: s.speedup or 0.0,
                   default=None)
        outcome = TaskOutcome(task_id=row.id, category=row.category, level=row.level, held_out=row.held_out,
                              samples=samples, correct=any(s.correct for s in samples),
                              speedup=best.speedup if best else None, speedup_ci=best.speedup_ci if best else None,
                              **counts)
        harness = raw.get("harness_version", "")
        # The baseline of the hardware the best kernel ran on (the run's first hardware when none was timed).
        hardware_id = best.hardware_id if best is not None and best.hardware_id is not None else raw.get("hardware_id")
        outcome.hardware = _hardware_name(store, hardware_id, names) or run_hardware
        # Only a baseline measured as the run's verdicts were (harness, jail, tolerance) sets the compile ratio.
        ratio = _compile_ratio(store, row.id, bench_task.source_hash, hardware_id, config.platform,
                               VerdictKey.of_options(config.eval, harness))
        if ratio is not None:
            outcome.compile_ratio = ratio[0]
            if outcome.speedup is not None and outcome.speedup_ci is not None:
                outcome.vs_compile = outcome.speedup / ratio[0]
                outcome.vs_compile_ci = (outcome.speedup_ci[0] / ratio[2], outcome.speedup_ci[1] / ratio[1])
        outcomes.append(outcome)
        harnesses.add(harness)
    if remap:
        harnesses |= {r.result.harness_version for r in _rows(store, remap.values())}
    return RunMetrics(
        run_id=run.id, status=run.status, model=config.provider.model, provider=str(raw.get("provider_label", "")),
        platform=config.platform, hardware="; ".join(sorted({o.hardware for o in outcomes if o.hardware}))
        or run_hardware, selection=config.selection, split=split,
        samples=config.samples, turns=config.search.turns, strategy=config.search.strategy,
        independent_samples=independent, harness_versions=sorted(h for h in harnesses if h),
        tolerance=config.eval.tolerance,
        rescored=bool(remap), created_at=run.created_at.isoformat(timespec="seconds"),
        overall=group_metrics(outcomes, config.samples, independent),
        by_category={c: group_metrics([o for o in outcomes if o.category == c], config.samples, independent)
                     for c in sorted({o.category for o in outcomes})},
        by_level={str(lv): group_metrics([o for o in outcomes if o.level == lv], config.samples, independent)
                  for lv in sorted({o.level for o in outcomes})},
        by_hardware={hw: group_metrics([o for o in outcomes if o.hardware == hw], config.samples, independent)
                     for hw in sorted({o.hardware for o in outcomes})},
        tasks=outcomes)


def _independent_workers(strategy: str) -> bool:
    """Whether the strategy's workers are independent samples; a strategy no longer registered is taken not to be."""
    try:
        return strategy_class(strategy).independent_workers
    except UnknownStrategy:
        return False


def _hardware_name(store: Store, hardware_id: int | None, names: dict[int, str]) -> str:
    """The stored description of hardware `hardware_id` ("" when unknown), looked up once per id."""
    if hardware_id is None:
        return ""
    if hardware_id not in names:
        row = store.get_hardware(hardware_id)
        names[hardware_id] = "" if row is None else row.description
    return names[hardware_id]


def _rows(store: Store, ids: Iterable[int]) -> list[EvaluationRow]:
    return [row for i in ids if (row := store.get_evaluation(i)) is not None]
