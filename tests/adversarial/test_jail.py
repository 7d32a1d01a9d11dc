"""The escapes that text screens and audit hooks could not stop (docs/reward-hacks.md rows 16-18), each tried for
real: a forged verdict, system calls spelled by token pasting, `ctypes.pythonapi.system`, `nsenter`, `dir_fd`
opens, /etc/shadow in an exception, a `#include` spelled with a digraph, a write into the build cache, and task
code that runs at import. Each test checks the effect on the host (a file, a connection, a secret in a message),
not only the verdict: the jail and the judge are what must hold.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from adversarial_support import (
    TASKS,
    assert_verdict,
    evaluate_with_secret,
    fast_options,
    kernel_source,
    probe_with_secret,
    processes_with_marker,
    run_unchecked,
    suite_task,
)

from kernelwright.agent.runner import OptimizeConfig, load_config_task
from kernelwright.evaluator.api import evaluate, measure_baselines, probe
from kernelwright.evaluator.build.cache import cache_root
from kernelwright.evaluator.jail.bwrap import jail_problem
from kernelwright.evaluator.platforms import get_platform
from kernelwright.evaluator.result import Reason, Stage, Status
from kernelwright.tasks.loader import _probe_cache, _probe_cache_file, load_task_source
from kernelwright.tasks.model import Task
from kernelwright.tasks.registry import example_solutions

SECRET = "sk-kernelwright-jail-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def relu() -> Task:
    return suite_task("activation/relu")


@pytest.fixture
def host_dir() -> Iterator[Path]:
    """A host folder for paths that go into C++ source: pytest's own (`.../popen-gw0/...` under xdist) would trip
    the text screens on the word `popen` before the kernel ever ran."""
    folder = Path(tempfile.mkdtemp(prefix="kw-jail-test-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _shadow_lines() -> list[str]:
    try:
        return [line for line in Path("/etc/shadow").read_text().splitlines() if line.strip()]
    except OSError:
        return []


def _assert_no_host_secret(text: str) -> None:
    assert SECRET not in text, "the judge's environment leaked"
    for line in _shadow_lines():
        assert line not in text, "a line of the host's /etc/shadow leaked"


def _everything(result: object) -> str:
    return str(getattr(result, "message", "")) + str(getattr(result, "log", "")) + str(result)


# --- row 16: the verdict is the judge's -------------------------------------------------------------------------


def test_a_forged_verdict_is_never_believed(relu: Task) -> None:
    source = kernel_source("row16_forge_result_channel")
    for result in (evaluate(relu, source, "cpu", fast_options(timing=True)),
                   run_unchecked(relu, source, fast_options(timing=True))):
        assert result.status is not Status.correct and result.speedup is None, result.message
        assert "50" not in result.message
        assert_verdict(result, Status.runtime_error, Reason.crashed, "without an answer")


# --- row 17: what the jail makes harmless -------------------------------------------------------------------------


def test_token_pasted_syscalls_write_nothing_on_the_host(relu: Task, host_dir: Path) -> None:
    target = host_dir / "outside" / "escaped.txt"
    target.parent.mkdir()
    source = kernel_source("row17_pasted_write_outside", {"/tmp/kw-adversarial-pasted/escaped.txt": str(target)})
    result = evaluate(relu, source, "cpu", fast_options())
    assert result.status is Status.correct, result.message  # passes every text screen, runs, is an honest ReLU
    assert not target.exists(), "native code wrote outside the jail"


def test_setns_and_sockets_reach_no_server(relu: Task, listening_server: tuple[int, list[bytes]]) -> None:
    port, seen = listening_server
    result = evaluate(relu, kernel_source("row17_pasted_setns_connect", {"54321": str(port)}), "cpu", fast_options())
    assert result.status is Status.correct, result.message
    time.sleep(0.5)
    assert seen == [], f"the candidate reached the server: {seen}"


def test_the_judges_environment_is_out_of_reach() -> None:
    # The judge runs in a process that had the key in its environment from its start, as an evaluator does.
    result = evaluate_with_secret("activation/relu", kernel_source("row17_pasted_parent_environ"), fast_options(),
                                  SECRET)
    assert_verdict(result, Status.runtime_error, Reason.runtime_exception, "LEAKED")
    _assert_no_host_secret(_everything(result))


def test_a_digraph_include_reads_no_host_file(relu: Task, host_dir: Path) -> None:
    secret_file = host_dir / "secret.txt"
    secret_file.write_text(SECRET + "\n")  # not C++: a compiler that reads it prints it in its errors
    source = kernel_source("row17_digraph_include", {"/tmp/kw-adversarial-secret.txt": str(secret_file)})
    result = evaluate(relu, source, "cpu", fast_options())
    _assert_no_host_secret(_everything(result))
    assert_verdict(result, Status.build_error, Reason.compile_error, "compiling")
    assert "No such file" in result.log, result.log


def test_pythonapi_system_runs_its_shell_in_the_jail(relu: Task, tmp_path: Path) -> None:
    target = tmp_path / "outside"
    target.mkdir()
    source = kernel_source("row17_pythonapi_system", {"/tmp/kw-adversarial-system": str(target)})
    result = run_unchecked(relu, source, fast_options())
    assert not (target / "escaped.txt").exists(), "a shell started by the candidate wrote on the host"
    _assert_no_host_secret(_everything(result))


def test_nsenter_into_the_parent_reaches_no_server(relu: Task, listening_server: tuple[int, list[bytes]]) -> None:
    port, seen = listening_server
    run_unchecked(relu, kernel_source("row17_nsenter", {"54321": str(port)}), fast_options())
    time.sleep(0.5)
    assert seen == [], f"nsenter reached the server: {seen}"


def test_dir_fd_opens_write_and_read_nothing_of_the_host(tmp_path: Path) -> None:
    target = tmp_path / "outside"
    target.mkdir()
    result = evaluate_with_secret("activation/relu",
                                  kernel_source("row17_dir_fd", {"/tmp/kw-adversarial-dirfd": str(target)}),
                                  fast_options(), SECRET, static_checks=False)
    assert not (target / "escaped.txt").exists(), "a dir_fd open wrote outside"
    _assert_no_host_secret(_everything(result))
    assert result.status is not Status.correct


def test_etc_shadow_is_never_echoed(relu: Task) -> None:
    result = run_unchecked(relu, kernel_source("row17_shadow_in_exception"), fast_options())
    _assert_no_host_secret(_everything(result))
    assert result.status is Status.build_error and "shadow" in result.message, result.message


def test_the_build_cache_is_read_only_to_candidates(relu: Task) -> None:
    source = kernel_source("row17_write_build_cache")
    first = run_unchecked(relu, source, fast_options())  # builds its module into the cache, then tries to write
    assert not list(cache_root().glob("cpp/*/ext/kw-planted.so")), "a candidate planted a file in the build cache"
    modules = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in cache_root().glob("cpp/*/ext/*/*.so")}
    assert any("row17_write_cache" in p.name for p in modules), "the kernel's own module was never built"
    result = run_unchecked(relu, source, fast_options())
    assert first.status is Status.correct and result.status is Status.correct, result.message
    assert not list(cache_root().glob("cpp/*/ext/kw-planted.so")), "a candidate planted a file in the build cache"
    for path, digest in modules.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, f"{path.name} was rewritten"


def test_a_candidate_sees_only_its_own_modules(relu: Task) -> None:
    honest = run_unchecked(relu, example_solutions(relu)["cpu"].read_text(), fast_options())
    assert honest.status is Status.correct  # so the cache holds another candidate's module
    ext_dir = get_platform("cpu").kernel_builder().ext_dir
    assert len(list(ext_dir.glob("*/*.so"))) >= 1
    result = run_unchecked(relu, kernel_source("row17_other_modules", {"/kw-build-cache": str(ext_dir)}),
                           fast_options())
    assert result.status is Status.correct, result.message


def _jail_has_its_own_pids() -> bool:
    """Whether jailed processes see their own pid namespace (so kill(-1) cannot reach this machine's processes)."""
    from kernelwright.evaluator.jail.bwrap import JailSpec, jail_command, seccomp_fd

    if jail_problem() is not None:
        return False
    fd = seccomp_fd()
    try:
        out = subprocess.run(jail_command(["/bin/sh", "-c", "echo $$"], JailSpec(), fd), pass_fds=(fd,),
                             capture_output=True, text=True, timeout=60).stdout.strip()
    finally:
        os.close(fd)
    return out.isdigit() and int(out) < 10


def test_kill_everything_kills_only_the_jail(relu: Task) -> None:
    # Without a pid namespace kill(-1, SIGKILL) as root would take down every process on the machine.
    if not _jail_has_its_own_pids():
        pytest.fail("the jail has no pid namespace of its own: refusing to run kill(-1)")
    marker = f"kw-bystander-{uuid.uuid4().hex[:8]}"
    bystander = subprocess.Popen([sys.executable, "-c", f"import time; time.sleep(120)  # {marker}"])
    try:
        # kill(-1, SIGKILL), spelled so that no text screen sees it: every process the caller may signal.
        header = "#include <torch/extension.h>\n"
        source = kernel_source("bad_segfault").replace(
            header, header + "#include <signal.h>\n#define J(a, b, c) a##b##c\n").replace(
            "volatile float* nowhere = nullptr;\n    nowhere[x.numel()] = 1.f;", "J(ki, l, l)(-1, SIGKILL);")
        assert "J(ki, l, l)(-1, SIGKILL);" in source
        result = evaluate(relu, source, "cpu", fast_options())
        assert result.status is not Status.correct
        assert bystander.poll() is None, "a candidate killed a process outside its jail"
        assert processes_with_marker(marker), "the bystander is gone"
    finally:
        bystander.send_signal(signal.SIGKILL)
        bystander.wait()
    again = evaluate(relu, kernel_source("row17_pasted_write_outside"), "cpu", fast_options())
    assert again.status is Status.correct, "the judge did not survive"


# --- row 18: task code is untrusted too ----------------------------------------------------------------------------


def test_a_hostile_task_is_refused_without_echoing_the_host() -> None:
    for name in ("hostile_shadow", "hostile_environ"):
        result = probe_with_secret(TASKS / f"{name}.py", SECRET)
        _assert_no_host_secret(result.problem)
        assert not result.ok and ("LEAKED" in result.problem or "No such file" in result.problem), result.problem


def test_task_code_at_import_leaves_nothing_on_the_host(tmp_path: Path,
                                                        listening_server: tuple[int, list[bytes]]) -> None:
    port, seen = listening_server
    mark = tmp_path / "marks"
    mark.mkdir()
    source = (TASKS / "hostile_marker.py").read_text().replace("/tmp/kw-adversarial-marker", str(mark)).replace(
        "54321", str(port))
    task = load_task_source(source, "hostile_marker.py")
    result = probe(task)  # what a submission and `optimize op.py` do first
    assert result.ok, result.problem  # it loads: the point is what it leaves behind
    # A job: the reference and the candidate runners, and the baselines (eager and torch.compile runners).
    verdict = evaluate(task, task.source + "\nModelNew = Model\n", "cpu", fast_options(allow_torch=True, timing=True),
                       static_checks=False)
    assert verdict.stage is not Stage.static
    measure_baselines(task, "cpu", fast_options(timing=True, buckets=3))
    # A resume: the task is loaded again from the stored run, and checked again when no verdict is remembered.
    config = OptimizeConfig(task_source=source, task_origin="hostile_marker.py", task_id=task.id)
    _probe_cache.pop(task.source_hash, None)
    _probe_cache_file(task.source_hash).unlink(missing_ok=True)
    load_config_task(config)
    time.sleep(0.5)
    assert list(mark.iterdir()) == [], "task code wrote on the host"
    assert seen == [], f"task code reached the server: {seen}"
