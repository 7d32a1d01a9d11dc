"""A build's job, in process (evaluator/build/job.py): what comes back from the build jail and what each outcome
means; which candidate flags are refused; how a build error's log is trimmed. The jailed driver itself runs in the
adversarial tests (test_row21_builds.py) and every suite build."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from kernelwright.evaluator.build.cpp import CppBuilder
from kernelwright.evaluator.build.cuda import CudaBuilder
from kernelwright.evaluator.build.errors import BuildError, UnsafeSourceError, trim_compiler_log
from kernelwright.evaluator.build.job import MAX_MODULE_BYTES, STEP_EXIT, BuildJob, BuildStep, execute
from kernelwright.evaluator.jail.capture import LEFT_OUT, BoundedLog, Sink

JOB = BuildJob(files={"kernel.cpp": "int x;"}, steps=[BuildStep("compiling", ["cc"]), BuildStep("linking", ["ld"])],
               output="kernel.so")


def fake(code: int, module: bytes = b"", log: bytes = b"", why: str = "") -> object:
    """A build jail that prints `log`, returns `module` and exits with `code`."""

    def run(argv: list[str], stdin: bytes, stdout: Sink, stderr: BoundedLog) -> subprocess.CompletedProcess:
        job = json.loads(stdin)
        assert job["files"] == JOB.files and job["output"] == "kernel.so" and job["max_output"] == MAX_MODULE_BYTES
        for start in range(0, len(log), 65536):
            stderr.write(log[start : start + 65536])
            if stderr.full:
                return subprocess.CompletedProcess(argv, -9, "", stderr.text() + "\nstopped: it printed more")
        stdout.write(module)
        return subprocess.CompletedProcess(argv, code, "", stderr.text() + why)

    return run


def test_the_module_is_written_by_the_judge(tmp_path: Path) -> None:
    target = tmp_path / "ext" / "m" / "m.so"
    execute(JOB, fake(0, b"\x7fELF..."), target)  # type: ignore[arg-type]
    assert target.read_bytes() == b"\x7fELF..." and [p.name for p in target.parent.iterdir()] == ["m.so"]


def test_a_failed_step_is_named_and_nothing_is_installed(tmp_path: Path) -> None:
    target = tmp_path / "m.so"
    with pytest.raises(BuildError, match="^linking failed$") as info:
        execute(JOB, fake(STEP_EXIT + 1, log=b"kernel.o: error: undefined reference to `f'\n"), target)  # type: ignore[arg-type]
    assert "undefined reference" in info.value.log and list(tmp_path.iterdir()) == []


def test_a_module_over_the_cap_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsafeSourceError, match="over 64 MiB"):
        execute(JOB, fake(0, b"\0" * (MAX_MODULE_BYTES + 1)), tmp_path / "m.so")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_a_flood_of_messages_stops_the_build(tmp_path: Path) -> None:
    flood = b"kernel.cpp:1:1: error: " + b"P<int, int>" * 10**6 + b"\n"
    with pytest.raises(BuildError, match="printed more than 16 MiB") as info:
        execute(JOB, fake(0, log=flood * 3), tmp_path / "m.so")  # type: ignore[arg-type]
    assert len(info.value.log) < 2000 and LEFT_OUT in info.value.log


def test_a_killed_build_says_why(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match=r"stopped \(killed after 5 s\)"):
        execute(JOB, fake(-9, why="\nkilled after 5 s"), tmp_path / "m.so")  # type: ignore[arg-type]


@pytest.mark.parametrize("flag", ["-fdump-tree-all", "-fdump-rtl-all", "-fdump-ipa-all", "-fopt-info-all=x.txt",
                                  "-fstack-usage", "-fcallgraph-info", "-ftime-report", "-fmem-report",
                                  "-fprofile-generate", "-fprofile-use=x", "-ftest-coverage",
                                  "-fdiagnostics-format=sarif-file", "-fcompare-debug", "-freport-bug",
                                  "-fmodule-mapper=x", "-save-temps", "-MD", "-MF", "-dumpdir", "-aux-info"])
def test_flags_that_write_files_are_refused(flag: str) -> None:
    with pytest.raises(UnsafeSourceError, match="not allowed"):
        CppBuilder.candidate_flags([flag])


def test_tuning_flags_stay_and_the_error_cap_is_the_harness_own() -> None:
    tuning = ["-funroll-loops", "-ffast-math", "-fno-tree-vectorize", "-mavx2", "-mtune=native", "-Wall", "-DN=4"]
    assert CppBuilder.candidate_flags([*tuning, "-fmax-errors=0"]) == tuning


@pytest.mark.parametrize("flag", ["--keep", "-keep", "-save-temps", "--keep-dir=x", "--dryrun", "-odir=x"])
def test_nvcc_flags_that_keep_files_are_refused(flag: str) -> None:
    with pytest.raises(UnsafeSourceError, match="not allowed"):
        CudaBuilder._nvcc_flags([flag])


def test_host_compiler_options_through_nvcc_are_the_harness_own() -> None:
    assert CudaBuilder._nvcc_flags(["-Xcompiler=-fdump-tree-all", "--compiler-options=-fdump-tree-all"]) == []


def test_a_trimmed_log_is_short_and_says_what_it_left_out() -> None:
    log = "\n".join(["kernel.cpp:3:1: error: " + "T" * 10**6, f"[... 123 {LEFT_OUT} ...]",
                     *(f"kernel.cpp:{i}:1: error: e{i}" for i in range(100))])
    trimmed = trim_compiler_log(log)
    lines = trimmed.splitlines()
    assert len(lines) <= 41 and max(len(line) for line in lines) < 500
    assert f"[... 123 {LEFT_OUT} ...]" in lines and "[... 999623 more characters]" in lines[0]
