"""The closed loop, measured on a CPU: a real pretrained base, fine-tuned from stored traces, before and after.

    python benchmarks/closed_loop.py [--samples 2] [--max-tokens 768] [--sft-steps 8] [--grpo-steps 2]

Every phase is the project's own command line (`kernelwright ...` in a subprocess, one torch thread), on a
temporary store:
1. traces: `bench --provider examples` over the training tasks (the shipped example kernels, judged by the
   evaluator), then `traces export --format sft` (correct kernels verified faster, no held-out tasks);
2. base: `bench --provider local:MODEL` over the training tasks and the held-out tasks, N samples each;
3. sft: `train sft` on that export, starting from MODEL;
4. tuned: the same bench with the tuned model;
5. grpo: `train grpo` from the tuned model on the training tasks, the evaluator's reward on every completion.

For each bench it reports the share of turns whose kernel builds, is correct, and is faster than eager (speedup
point estimate above 1; correct includes `unstable`, correct but untimed), split into training (public) tasks and
held-out tasks; for GRPO the mean reward and its spread (population standard deviation) per step; and the wall
time of each phase. Writes the numbers as JSON and a plot (PNG) to --out.

What it shows is small-scale: the SFT data are a few tasks' example kernels, so after SFT the model can recite
those (memorising the training tasks); the held-out rows say whether anything transfers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel, Field

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kernelwright.db import Store  # noqa: E402
from kernelwright.db.enums import TurnOutcome  # noqa: E402
from kernelwright.evaluator.result import Stage, Status  # noqa: E402

# Public tasks of the smoke suite whose example kernels fit in --max-tokens (610 and 746 tokens).
TRAIN_TASKS = ["broadcast/add_outer", "index/gather_dim1"]
HELD_OUT_TASKS = ["broadcast/where_select"]  # held-out: never trained on
# Stages a kernel reaches only after it built.
BUILT_STAGES = {Stage.correctness, Stage.timing, Stage.sanity, Stage.done}
CORRECT = {Status.correct, Status.unstable}
TRACES = "traces (examples bench + export)"


class Shares(BaseModel):
    """One model's turns on one split: how many, and the share that built, was correct, was faster than eager."""

    model: str
    split: str
    tasks: int
    turns: int
    no_code: float
    build: float
    correct: float
    faster: float


class GrpoStep(BaseModel):
    """One GRPO step: its completions' rewards, their mean and spread."""

    step: int
    rewards: list[float]
    mean: float
    std: float


class LoopResult(BaseModel):
    """Everything one run of the benchmark measured."""

    model: str
    samples: int
    max_tokens: int
    train_tasks: list[str]
    held_out_tasks: list[str]
    sft_records: int
    sft_steps: int
    sft_final_loss: float | None
    shares: list[Shares]
    grpo: list[GrpoStep]
    phase_s: dict[str, float] = Field(description="wall time of each phase, seconds")
    phase_peak_mib: dict[str, float] = Field(default_factory=dict, description="peak resident memory of each "
                                             "phase's largest command process, MiB (runs before it was recorded: "
                                             "none)")
    command: str


def cli(args: list[str], env: dict[str, str]) -> tuple[dict[str, object], float]:
    """Run `kernelwright ARGS --json`; return the JSON object it printed last and the process's peak resident
    memory in MiB (its own, from wait4: Ray's worker processes, started apart from it, are not counted)."""
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "kernelwright.cli", *args, "--json"], stdout=stdout,
                                stderr=stderr, text=True, env=env, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        out, err = stdout.read(), stderr.read()
    if proc.returncode != 0:
        raise RuntimeError(f"kernelwright {' '.join(args)} failed ({proc.returncode}):\n"
                           f"{out[-2000:]}\n{err[-4000:]}")
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"kernelwright {' '.join(args)} printed no JSON:\n{out[-2000:]}")
    result: dict[str, object] = json.loads(lines[-1])
    return result, usage.ru_maxrss / 1024


def turn_shares(store: Store, run_id: str, model: str) -> list[Shares]:
    """The shares of a bench run's turns that built, were correct and faster, per split (training, held-out: as
    the store has the task)."""
    counts: dict[str, dict[str, int]] = {}
    tasks: dict[str, set[str]] = {}
    for trajectory in store.trajectories_for_run(run_id):
        task = store.get_task(trajectory.task_id)
        split = "held-out" if task is not None and task.held_out else "train"
        tasks.setdefault(split, set()).add(trajectory.task_id)
        c = counts.setdefault(split, {"turns": 0, "no_code": 0, "build": 0, "correct": 0, "faster": 0})
        for turn in store.turns_for_trajectory(trajectory.id):
            c["turns"] += 1
            c["no_code"] += turn.outcome is TurnOutcome.no_code
            row = store.get_evaluation(turn.evaluation_id) if turn.evaluation_id is not None else None
            if row is None:
                continue
            result = row.result
            correct = result.status in CORRECT
            c["build"] += correct or result.stage in BUILT_STAGES
            c["correct"] += correct
            c["faster"] += result.status is Status.correct and (result.speedup or 0.0) > 1.0
    return [Shares(model=model, split=split, tasks=len(tasks[split]), turns=c["turns"],
                   **{k: c[k] / c["turns"] if c["turns"] else 0.0 for k in ("no_code", "build", "correct", "faster")})
            for split, c in sorted(counts.items(), key=lambda kv: kv[0] != "train")]


def grpo_steps(rewards: list[float], generations: int) -> list[GrpoStep]:
    """Single-prompt GRPO's rollouts in order, one group of `generations` per step."""
    groups = [rewards[i:i + generations] for i in range(0, len(rewards), generations)]
    return [GrpoStep(step=k, rewards=g, mean=statistics.fmean(g), std=statistics.pstdev(g))
            for k, g in enumerate(groups, 1)]


def markdown(result: LoopResult) -> str:
    """The result as Markdown tables: shares per model and split, GRPO per step, wall time per phase."""
    lines = ["| model | tasks | turns | no code | builds | correct | faster than eager |",
             "|---|---|---|---|---|---|---|"]
    for s in result.shares:
        lines.append(f"| {s.model}, {s.split} | {s.tasks} | {s.turns} | {s.no_code:.0%} | {s.build:.0%} | "
                     f"{s.correct:.0%} | {s.faster:.0%} |")
    lines += ["", "| GRPO step | rewards | mean | spread (std) |", "|---|---|---|---|"]
    for g in result.grpo:
        lines.append(f"| {g.step} | {', '.join(f'{r:.2f}' for r in g.rewards)} | {g.mean:.3f} | {g.std:.3f} |")
    lines += ["", "| phase | wall time | peak memory |", "|---|---|---|"]
    for phase, seconds in result.phase_s.items():
        peak = result.phase_peak_mib.get(phase)
        lines.append(f"| {phase} | {seconds:.0f} s | {'' if peak is None else f'{peak / 1024:.1f} GiB'} |")
    return "\n".join(lines)


def plot(result: LoopResult, path: Path) -> None:
    """Before/after shares per split (bars) and GRPO's mean reward with its spread per step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (bars, curve) = plt.subplots(1, 2, figsize=(11, 4))
    metrics = ("no_code", "build", "correct", "faster")
    width = 0.8 / max(1, len(result.shares))
    for i, s in enumerate(result.shares):
        xs = [m + i * width for m in range(len(metrics))]
        bars.bar(xs, [100 * getattr(s, m) for m in metrics], width, label=f"{s.model}, {s.split}")
    bars.set_xticks([m + width * (len(result.shares) - 1) / 2 for m in range(len(metrics))],
                    [m.replace("_", " ") for m in metrics])
    bars.set_ylabel("% of turns")
    bars.set_ylim(0, 100)
    bars.set_title(f"{result.samples} sample(s) per task, {result.max_tokens} max tokens")
    bars.legend(fontsize=8)
    if result.grpo:
        steps = [g.step for g in result.grpo]
        curve.errorbar(steps, [g.mean for g in result.grpo], yerr=[g.std for g in result.grpo], marker="o",
                       capsize=4)
        curve.set_xticks(steps)
    curve.set_xlabel("GRPO step")
    curve.set_ylabel("reward (mean ± std over the group)")
    curve.set_title("GRPO from the tuned model")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def bench_args(tasks: list[str], provider: str, db: str, args: argparse.Namespace) -> list[str]:
    """`bench` over `tasks` with one evaluator worker on one thread, no torch.compile baseline."""
    return ["bench", *(a for t in tasks for a in ("--tasks", t)), "--provider", provider, "--samples",
            str(args.samples), "--turns", "1", "--max-tokens", str(args.max_tokens), "--temperature",
            str(args.temperature), "--concurrency", "1", "--workers", "1", "--threads", "1", "--trials", "1",
            "--no-compile-baseline", "--seed", str(args.seed), "--db-url", db]


def run(args: argparse.Namespace) -> LoopResult:
    """Run every phase in a temporary folder and return what was measured."""
    work = Path(args.work or tempfile.mkdtemp(prefix="kw-loop-"))
    work.mkdir(parents=True, exist_ok=True)
    db = f"sqlite:///{work / 'loop.db'}"
    ray_tmp = tempfile.mkdtemp(prefix="kwray", dir="/tmp")
    # One torch thread (generation, training) and no hub: the base is a prepared local folder.
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false",
               HF_HUB_OFFLINE="1", RAY_TMPDIR=ray_tmp, RAY_AUTH_MODE="disabled", PYTHONPATH=str(ROOT))
    phase_s: dict[str, float] = {}
    phase_peak_mib: dict[str, float] = {}
    tasks = [*args.train_tasks, *args.held_out_tasks]

    def timed(phase: str, call: list[str]) -> dict[str, object]:
        start = time.perf_counter()
        answer, peak = cli(call, env)
        phase_s[phase] = phase_s.get(phase, 0.0) + time.perf_counter() - start
        phase_peak_mib[phase] = max(phase_peak_mib.get(phase, 0.0), round(peak))
        print(f"[{phase}] {time.perf_counter() - start:.0f} s, peak {peak:.0f} MiB", flush=True)
        return answer

    data = work / "sft.jsonl"
    records = 0
    # A kernel about as fast as eager may time as `unstable` (correct, untimed: never exported) on a loaded
    # machine; a few tries of the examples bench, as the store keeps every verdict.
    for _ in range(args.trace_tries):
        timed(TRACES, bench_args(args.train_tasks, "examples", db, args))
        export = timed(TRACES, ["traces", "export", "--format", "sft", "--out", str(data), "--min-speedup",
                                str(args.min_speedup), "--db-url", db])
        records = int(export["records"])  # type: ignore[call-overload]
        if records:
            break
    if records == 0:
        raise RuntimeError(f"the examples bench left no kernel to export (none correct and timed above "
                           f"--min-speedup {args.min_speedup} on this machine)")

    store = Store(db)
    try:
        base = timed("base model bench", bench_args(tasks, f"local:{args.model}", db, args))
        shares = turn_shares(store, str(base["run_id"]), "base")
        tuned_dir = work / "sft"
        sft = timed("train sft", ["train", "sft", "--model", args.model, "--data", str(data), "--out",
                                  str(tuned_dir), "--steps", str(args.sft_steps), "--lr", str(args.sft_lr),
                                  "--max-length", "4096", *(["--lora"] if args.lora else [])])
        tuned = timed("tuned model bench", bench_args(tasks, f"local:{tuned_dir}", db, args))
        shares += turn_shares(store, str(tuned["run_id"]), "SFT")
        grpo = timed("train grpo", ["train", "grpo", "--model", str(tuned_dir), "--out", str(work / "grpo"),
                                    *(a for t in args.train_tasks[:args.grpo_tasks] for a in ("--task", t)),
                                    "--steps", str(args.grpo_steps), "--generations", str(args.grpo_generations),
                                    "--max-completion-length", str(args.max_tokens), "--workers", "1",
                                    "--threads", "1", "--trials", "1", "--seed", str(args.seed), "--db-url", db])
    finally:
        store.close()
        shutil.rmtree(ray_tmp, ignore_errors=True)
    rewards = [float(r) for r in grpo["rewards"]]  # type: ignore[attr-defined]
    loss = sft.get("final_loss")
    return LoopResult(model=args.model, samples=args.samples, max_tokens=args.max_tokens,
                      train_tasks=args.train_tasks, held_out_tasks=args.held_out_tasks, sft_records=records,
                      sft_steps=int(sft["steps"]), sft_final_loss=None if loss is None else float(loss),  # type: ignore[call-overload, arg-type]
                      shares=shares, grpo=grpo_steps(rewards, args.grpo_generations), phase_s=phase_s,
                      phase_peak_mib=phase_peak_mib,
                      command=" ".join(["python", "benchmarks/closed_loop.py", *sys.argv[1:]]))


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The benchmark's options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="smollm2-135m", help="base model name or folder")
    p.add_argument("--train-tasks", nargs="+", default=TRAIN_TASKS, help="public tasks traced and trained on")
    p.add_argument("--held-out-tasks", nargs="*", default=HELD_OUT_TASKS, help="held-out tasks, only measured")
    p.add_argument("--samples", type=int, default=2, help="samples (one-turn trajectories) per task and model")
    p.add_argument("--max-tokens", type=int, default=768, help="tokens per reply (and per GRPO completion)")
    p.add_argument("--temperature", type=float, default=0.7)
    # 0: every correct, timed kernel. On a shared two-core machine the small tasks' example kernels time at about
    # 1x, so the export's default (verified faster) would leave nothing to train on.
    p.add_argument("--min-speedup", type=float, default=0.0, help="the SFT export's speedup floor (its "
                   "interval's lower bound)")
    p.add_argument("--trace-tries", type=int, default=3, help="examples benches at most, until one exports")
    p.add_argument("--sft-steps", type=int, default=8)
    p.add_argument("--sft-lr", type=float, default=2e-4)
    p.add_argument("--lora", action="store_true", help="train a LoRA adapter instead of every weight")
    p.add_argument("--grpo-steps", type=int, default=2)
    p.add_argument("--grpo-generations", type=int, default=2, help="completions per GRPO group")
    p.add_argument("--grpo-tasks", type=int, default=1, help="the first this many training tasks are GRPO's")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--work", help="folder for the store, export and checkpoints (default: a new temporary one)")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results",
                   help="where closed_loop.json and closed_loop.png are written")
    p.add_argument("--replot", type=Path, help="only redraw the plot (beside it) and print the tables of a "
                   "closed_loop.json written before")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run the loop, print its tables, write the JSON and the plot (or only redraw a stored run's, --replot)."""
    args = parse(argv)
    if args.replot is not None:
        result = LoopResult.model_validate_json(args.replot.read_text())
        plot(result, args.replot.with_suffix(".png"))
        print(markdown(result))
        return
    result = run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "closed_loop.json").write_text(result.model_dump_json(indent=2) + "\n")
    plot(result, args.out / "closed_loop.png")
    print(markdown(result))


if __name__ == "__main__":
    main()
