"""Row 21, the builds' side: a log bomb leaves the judge's memory flat, dump flags write nothing on the host, and a
cache fill leaves the build cache under its limit.

Each needs more than a verdict (the judge's memory while it runs, the jails the build started, the cache's size on
disk), so they are tests of their own; the verdicts of the first two are also cases of test_reward_hacks.py.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from adversarial_support import RELU_SOLUTION, assert_verdict, fast_options, kernel_source, run_unchecked, suite_task

import kernelwright.evaluator.build.cpp as cpp
from kernelwright.evaluator.api import evaluate
from kernelwright.evaluator.build.cpp import CppBuilder
from kernelwright.evaluator.judge import builds
from kernelwright.evaluator.platforms.cpu import CpuPlatform
from kernelwright.evaluator.result import Reason, Stage, Status

TASK = "activation/relu"
# What the judge's resident memory may grow by while it serves a build that prints ~285 MB (it grew by ~2.1 GB when
# it read compiler output whole).
MAX_JUDGE_GROWTH = 200 * 2**20
CACHE_LIMIT_MB = 64


def _rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@contextmanager
def peak_growth() -> Iterator[list[int]]:
    """Samples this process's resident memory every 5 ms; yields a list that ends up holding the peak growth."""
    start, peak, done = _rss(), [0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss() - start)
            time.sleep(0.005)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        done.set()
        thread.join()


def _ext_bytes(cache: Path) -> int:
    """The built modules' size on disk (every file under any builder's ext/)."""
    return sum(p.stat().st_size for p in cache.glob("cpp/*/ext/**/*") if p.is_file())


def test_log_bomb_leaves_the_judge_flat() -> None:
    task = suite_task(TASK)
    warm = evaluate(task, RELU_SOLUTION.read_text(), "cpu", fast_options())  # reference runner and imports warm
    assert warm.status is Status.correct, warm.message
    cpu = time.process_time()
    with peak_growth() as growth:
        result = evaluate(task, kernel_source("row21_log_bomb"), "cpu", fast_options())
    cpu = time.process_time() - cpu
    print(f"judge: peak RSS growth {growth[0] / 2**20:.0f} MiB, CPU {cpu:.2f} s, log {len(result.log)} chars")
    assert_verdict(result, Status.build_error, Reason.compile_error)
    assert result.stage is Stage.build
    assert growth[0] < MAX_JUDGE_GROWTH, f"the judge grew by {growth[0] / 2**20:.0f} MiB during the build"
    assert len(result.log) < 20_000 and "missing" in result.log, result.log[:2000]


def test_dump_flags_are_refused_and_never_reach_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    task = suite_task(TASK)
    result = evaluate(task, kernel_source("row21_dump_flags"), "cpu", fast_options())
    assert_verdict(result, Status.rejected, Reason.unsafe_native_code, "-fdump")
    assert result.stage is Stage.build

    # With the flag screen bypassed, the build jail has nowhere on the host to write its dumps: it sees no
    # writable host folder, and only the module reaches the cache.
    specs: list[Any] = []
    real_run = builds.run

    def recording(argv: list[str], spec: Any, *args: Any, **kwargs: Any) -> Any:
        specs.append(spec)
        return real_run(argv, spec, *args, **kwargs)

    monkeypatch.setattr(builds, "run", recording)
    monkeypatch.setattr(cpp, "_WRITES_FILES", re.compile(r"(?!)"), raising=False)
    name = f"row21_dump_{uuid.uuid4().hex[:8]}"  # never a cache hit: the build must run
    source = kernel_source("row21_dump_flags", {
        '"-fdump-tree-all", "-fdump-rtl-all", "-fdump-ipa-all"': '"-fdump-tree-original"',
        'name="row21_dump_flags"': f'name="{name}"'})
    bypassed = run_unchecked(task, source, fast_options())
    assert bypassed.status is Status.correct, bypassed.message
    assert specs and all(not spec.read_write for spec in specs), [spec.read_write for spec in specs]
    built = [p for entry in CppBuilder().ext_dir.glob(f"{name}_*") for p in entry.iterdir()]
    assert [p.suffix for p in built] == [".so"], built


def test_cache_fill_stays_under_its_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = CppBuilder()
    shared.ensure_pch()
    builder = CppBuilder(cache_dir=tmp_path)  # a cache of its own, with the session's precompiled header
    shutil.copytree(shared.pch_dir, builder.pch_dir)
    monkeypatch.setattr(CpuPlatform, "kernel_builder", lambda self: builder)
    monkeypatch.setenv("KERNELWRIGHT_BUILD_CACHE_MB", str(CACHE_LIMIT_MB))
    task = suite_task(TASK)

    result = evaluate(task, kernel_source("row21_cache_fill"), "cpu", fast_options())
    assert_verdict(result, Status.correct, Reason.ok)
    size = _ext_bytes(tmp_path)
    print(f"cache after 4 modules of 24 MiB: {size / 2**20:.0f} MiB (limit {CACHE_LIMIT_MB} MiB)")
    assert 0 < size <= CACHE_LIMIT_MB * 2**20, f"{size / 2**20:.0f} MiB of modules in the cache"
    assert (builder.pch_dir / "torch" / "extension.h.gch").is_file(), "eviction removed the precompiled header"

    # One module over the size cap is refused, whatever the cache's limit.
    big = kernel_source("row21_cache_fill", {"BLOB_BYTES = 24 << 20": "BLOB_BYTES = 80 << 20",
                                             "COPIES = 4": "COPIES = 1"})
    result = evaluate(task, big, "cpu", fast_options())
    assert_verdict(result, Status.rejected, Reason.unsafe_native_code, "over 64 MiB")
    assert _ext_bytes(tmp_path) <= CACHE_LIMIT_MB * 2**20
