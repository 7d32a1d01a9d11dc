"""Evaluator benchmark: jail start-up, kernel builds, warm evaluations and the honesty of the timing.

    python benchmarks/evaluator.py [--runs 20] [--task activation/relu] [--load N]
                                   [--only jail,build,cold,warm,identity,fused]

Prints:
- jail: a jailed `true` (bubblewrap + seccomp + setpriv), a jailed runner from exec to `ready` (Python + torch),
  and, for comparison, a zygote (one jailed Python with torch imported that forks a child per request);
- build: the one-time precompiled header, a cold build of a never-seen kernel in the build jail, a cached one;
- cold: `kernelwright eval TASK example --no-store` as a user types it (a new process: the judge starts cold, the
  kernel is in the build cache), median of 5, and the judge's own CPU time and peak memory in one cold evaluation;
- warm: the wall time of one warm evaluation of the task's example solution (median of 5, and each run);
- identity: `ModelNew = Model` on the allow-torch track, --runs times: how many 95% intervals contain 1.0 (an
  `unstable` verdict's interval straddles 1.0 by definition, and counts);
- fused: a fused relu(2x+1) kernel (3-7x faster than eager), --runs times: how many are judged faster.
"""

from __future__ import annotations

import argparse
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kernelwright.evaluator import EvalOptions, Status, evaluate  # noqa: E402
from kernelwright.evaluator.api import checked_task  # noqa: E402
from kernelwright.evaluator.build.cpp import CppBuilder  # noqa: E402
from kernelwright.evaluator.jail.bwrap import JailSpec, jail_command, seccomp_fd  # noqa: E402
from kernelwright.evaluator.jail.limits import Limits  # noqa: E402
from kernelwright.evaluator.jail.view import package_roots  # noqa: E402
from kernelwright.evaluator.judge.builds import BuildService  # noqa: E402
from kernelwright.evaluator.judge.runner_process import RunnerConfig, RunnerProcess  # noqa: E402
from kernelwright.evaluator.runner.protocol import BuildRequest  # noqa: E402
from kernelwright.tasks.loader import load_task  # noqa: E402
from kernelwright.tasks.registry import example_solutions, resolve_task  # noqa: E402

CASES = Path(__file__).resolve().parent / "cases"
KERNEL = r"""
torch::Tensor scale(torch::Tensor x) {
    auto y = torch::empty_like(x);
    const float* a = x.data_ptr<float>();
    float* b = y.data_ptr<float>();
    for (int64_t i = 0; i < x.numel(); ++i) b[i] = a[i] * %s;
    return y;
}
"""
# A zygote for comparison only: it imports torch once, then forks a child per line read; each child says "ready".
ZYGOTE = (
    "import os, sys, torch\n"
    "sys.stdout.write('up\\n'); sys.stdout.flush()\n"
    "for _ in sys.stdin:\n"
    "    pid = os.fork()\n"
    "    if pid == 0:\n"
    "        sys.stdout.write('ready\\n'); sys.stdout.flush(); os._exit(0)\n"
    "    os.waitpid(pid, 0)\n"
)


def _ms(values: list[float]) -> str:
    low, high = min(values) * 1e3, max(values) * 1e3
    return f"median {statistics.median(values) * 1e3:7.1f} ms (min {low:.1f}, max {high:.1f})"


def _jailed(argv: list[str], **popen: object) -> subprocess.Popen:
    fd = seccomp_fd()
    try:
        env = {"PYTHONPATH": os.pathsep.join(package_roots())}
        return subprocess.Popen(jail_command(argv, JailSpec(env=env), fd), pass_fds=(fd,), **popen)  # type: ignore[call-overload]
    finally:
        os.close(fd)


def jail_startup() -> None:
    trues = []
    for _ in range(10):
        start = time.perf_counter()
        _jailed(["/bin/true"]).wait()
        trues.append(time.perf_counter() - start)
    print(f"jailed `true`:                    {_ms(trues)}")
    config = RunnerConfig(platform="cpu", threads=1, limits=Limits(4096, 600, 256, 1024))
    readies = []
    for _ in range(5):
        start = time.perf_counter()
        runner = RunnerProcess(config)
        runner.wait_ready(time.monotonic() + 120)
        readies.append(time.perf_counter() - start)
        runner.kill()
    print(f"jailed runner, exec to ready:     {_ms(readies)}")
    zygote = _jailed([sys.executable, "-c", ZYGOTE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert zygote.stdin is not None and zygote.stdout is not None
    zygote.stdout.readline()
    forks = []
    for _ in range(10):
        start = time.perf_counter()
        zygote.stdin.write("go\n")
        zygote.stdin.flush()
        select.select([zygote.stdout], [], [], 60)
        zygote.stdout.readline()
        forks.append(time.perf_counter() - start)
    zygote.kill()
    print(f"zygote fork to ready (not used):  {_ms(forks)}")


def build_times() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="kw_bench_cache_"))
    try:
        builder = CppBuilder(cache_dir=scratch)
        start = time.perf_counter()
        builder.ensure_pch()
        pch = time.perf_counter() - start
        request = BuildRequest(name="bench_scale", cpp_sources=[KERNEL % f"{uuid.uuid4().int % 1000 + 2}.0f"],
                               functions=["scale"])
        service = BuildService(builder, Limits(4096, 3600, 256, 1024))
        start = time.perf_counter()
        built = service(request)
        cold = time.perf_counter() - start
        assert built.failure is None, built.failure
        start = time.perf_counter()
        BuildService(CppBuilder(cache_dir=scratch), Limits(4096, 3600, 256, 1024))(request)
        warm = time.perf_counter() - start
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"precompiled header (once per toolchain): {pch:6.1f} s")
    print(f"cold kernel build, in the build jail:    {cold:6.1f} s")
    print(f"warm kernel build (cache hit):           {warm * 1e3:6.1f} ms")


def cold_eval(task_id: str, runs: int = 5) -> None:
    """The one-off `kernelwright eval` a user runs: a new process each time, everything started cold."""
    cli = [sys.executable, "-m", "kernelwright.cli", "eval", task_id, "example", "--no-store"]
    subprocess.run(cli, capture_output=True, check=False)  # the build cache, the peaks and the probe, once
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cli, capture_output=True, text=True, check=False)
        walls.append(time.perf_counter() - start)
        status = next((line.split()[1] for line in proc.stdout.splitlines() if line.strip().startswith("status")), "?")
        print(f"  {walls[-1]:5.2f} s wall: {status}")
    print(f"cold one-off eval of {task_id}: median {statistics.median(walls):.2f} s wall over {runs}")
    probe = ("import resource, time; from pathlib import Path; from evaluator import evaluate; "
             "from evaluator.api import checked_task; from tasks.registry import example_solutions, resolve_task; "
             f"t = checked_task(resolve_task({task_id!r})); src = example_solutions(t)['cpu'].read_text(); "
             "u0 = resource.getrusage(resource.RUSAGE_SELF); r = evaluate(t, src); "
             "u1 = resource.getrusage(resource.RUSAGE_SELF); "
             "print(f'{u1.ru_utime + u1.ru_stime - u0.ru_utime - u0.ru_stime:.2f} {u1.ru_maxrss / 1024:.0f}')")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False).stdout.split()
    if len(out) >= 2:
        print(f"the judge's own CPU in one cold evaluation: {out[-2]} s; its peak memory: {out[-1]} MiB")


def warm_evaluation(task_id: str, runs: int = 5, gap_s: float = 0.0) -> None:
    """Evaluations `gap_s` apart: 0 is back to back; a few seconds is what an agent's LLM call leaves between two,
    time in which the judge's spare runner (started when an evaluation ends) has imported torch."""
    task = checked_task(resolve_task(task_id))
    source = example_solutions(task)["cpu"].read_text()
    evaluate(task, source)  # warms the build cache, the peaks and the task's reference session
    walls = []
    for _ in range(runs):
        time.sleep(gap_s)
        start = time.perf_counter()
        result = evaluate(task, source)
        walls.append(time.perf_counter() - start)
        lo, hi = result.speedup_ci or (float("nan"), float("nan"))
        timing = result.timing.seconds if result.timing and result.timing.seconds else 0.0
        print(f"  {walls[-1]:5.2f} s wall ({timing:.2f} s timing): {result.status.value}, "
              f"{result.speedup or float('nan'):.2f}x [{lo:.2f}, {hi:.2f}]")
    print(f"warm evaluation of {task_id}, {gap_s:.0f} s apart: median {statistics.median(walls):.2f} s wall over "
          f"{runs}")


def identity(task_id: str, runs: int) -> None:
    task = checked_task(resolve_task(task_id))
    source = task.source + "\nModelNew = Model\n"
    medians, contained, unstable = [], 0, 0
    for i in range(runs):
        result = evaluate(task, source, options=EvalOptions(allow_torch=True, seed=i), static_checks=False)
        if result.status.value == "unstable":
            unstable += 1
            contained += 1
            print(f"  run {i + 1}: unstable ({result.message}): contains 1.0")
            continue
        if result.speedup is None or result.speedup_ci is None:
            print(f"  run {i + 1}: {result.status.value} ({result.message})")
            continue
        lo, hi = result.speedup_ci
        inside = lo <= 1.0 <= hi
        contained += inside
        medians.append(result.speedup)
        print(f"  run {i + 1}: {result.speedup:.3f}x [{lo:.3f}, {hi:.3f}] {'contains 1.0' if inside else 'MISSES 1.0'}")
    if medians:
        print(f"identity: {contained}/{runs} intervals contain 1.0 ({unstable} of them unstable); medians "
              f"{min(medians):.3f}..{max(medians):.3f} (stdev {statistics.pstdev(medians):.3f})")


def fused(runs: int) -> None:
    task = checked_task(load_task(CASES / "relu_2x1.py"))
    source = (CASES / "relu_2x1.cpu.py").read_text()
    faster = 0
    for i in range(runs):
        result = evaluate(task, source, options=EvalOptions(seed=i))
        decision = result.timing.decision if result.timing else None
        faster += decision == "faster"
        lo, hi = result.speedup_ci or (float("nan"), float("nan"))
        why = "" if result.status is Status.correct else f" ({result.reason.value}: {result.message[:300]})"
        print(f"  run {i + 1}: {result.status.value} {result.speedup or float('nan'):.2f}x [{lo:.2f}, {hi:.2f}] "
              f"{decision}{why}")
    print(f"fused relu(2x+1): judged faster in {faster}/{runs} runs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--task", default="activation/relu")
    parser.add_argument("--only", default="jail,build,cold,warm,identity,fused", help="comma-separated sections")
    parser.add_argument("--load", type=int, default=0, help="busy loops to run beside the benchmark (a busy machine)")
    args = parser.parse_args()
    sections = set(args.only.split(","))
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.load)]
    try:
        if hogs:
            time.sleep(5)  # let the load average see them
        run_sections(args, sections)
    finally:
        for hog in hogs:
            hog.kill()


def run_sections(args: argparse.Namespace, sections: set[str]) -> None:
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    if "jail" in sections:
        jail_startup()
    if "build" in sections:
        build_times()
    if "cold" in sections:
        cold_eval(args.task)
    if "warm" in sections:
        warm_evaluation(args.task)
        warm_evaluation(args.task, gap_s=3.0)
    if "identity" in sections:
        identity(args.task, args.runs)
    if "fused" in sections:
        fused(args.runs)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
