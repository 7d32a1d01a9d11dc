"""The judge's build service, with a stand-in compiler: how many requests one evaluation may make, and how long
a compile may take."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from kernelwright.evaluator.build.cpp import BuiltModule
from kernelwright.evaluator.build.errors import UnsafeSourceError
from kernelwright.evaluator.jail.bwrap import JailSpec
from kernelwright.evaluator.jail.capture import BoundedLog
from kernelwright.evaluator.jail.limits import Limits
from kernelwright.evaluator.judge import builds
from kernelwright.evaluator.judge.builds import MAX_BUILDS, BuildService
from kernelwright.evaluator.judge.runner_process import ProtocolBreach
from kernelwright.evaluator.runner.protocol import BuildRequest

LIMITS = Limits(memory_mb=1024, cpu_seconds=60, max_processes=32, max_file_mb=100)


class Screening:
    """Refuses every source holding `bad`, 'builds' the rest; records the timeouts it was given."""

    read_only_dirs = staticmethod(lambda: [])
    ext_dir = Path("/nonexistent/cache/cpp/toolchain/ext")

    def __init__(self) -> None:
        self.timeouts: list[float] = []

    def build(self, request: BuildRequest, run: object) -> BuiltModule:
        if "bad" in request.cpp_sources[0]:
            raise UnsafeSourceError("refused")
        return BuiltModule(path=Path("/nonexistent/ext.so"))


def _request(source: str) -> BuildRequest:
    return BuildRequest(name="k", cpp_sources=[source])


def test_refused_requests_count_toward_the_cap() -> None:
    service = BuildService(Screening(), LIMITS)  # type: ignore[arg-type]
    answers = [service(_request("bad")) for _ in range(MAX_BUILDS)]
    assert all(a.failure is not None and a.failure.message == "refused" for a in answers)
    with pytest.raises(ProtocolBreach, match=f"more than {MAX_BUILDS}"):  # the cap was spent on refusals: not
        service(_request("fine"))  # answered, the evaluation ends


def test_a_compile_never_outlives_the_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[float] = []

    def fake_run(cmd: list[str], spec: JailSpec, limits: Limits, timeout_s: float, jailed: bool = True,
                 **_: object) -> subprocess.CompletedProcess:
        seen.append(timeout_s)
        assert spec.read_write == [], "a build jail never gets a writable host folder"
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(builds, "run", fake_run)
    service = BuildService(Screening(), LIMITS)  # type: ignore[arg-type]
    service._run(["true"], b"", BoundedLog(), BoundedLog())
    service.deadline = time.monotonic() + 5.0
    service._run(["true"], b"", BoundedLog(), BoundedLog())
    service.deadline = time.monotonic() - 1.0
    service._run(["true"], b"", BoundedLog(), BoundedLog())
    assert seen[0] == builds.COMPILE_TIMEOUT_S and 4.0 < seen[1] <= 5.0 and seen[2] == 1.0
