"""Every known reward hack of docs/reward-hacks.md gets the verdict and reason code the evaluator promises.

Each exploit is a real candidate file in `kernels/rowNN_<what>.py` whose docstring says which row it
attacks and how. `CASES` holds what `evaluate()` must answer for it: status, reason, the stage that
stopped it, and a phrase the message must contain. Where the static checks stop an exploit first,
`unchecked` says what the run-time checks answer when the static checks are bypassed (`run_unchecked`),
so a hole in either layer fails a test. Row 15's run-time side (sockets, files, processes, secrets) is in
`test_sandbox.py`, whose tests need servers, temporary folders and process scans.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

import pytest
from adversarial_support import (
    KERNELS,
    adversarial_task,
    assert_verdict,
    fast_options,
    kernel_source,
    run_unchecked,
    suite_task,
)

from kernelwright.evaluator.api import evaluate
from kernelwright.evaluator.request import EvalOptions
from kernelwright.evaluator.result import Reason, Stage, Status
from kernelwright.tasks.errors import TaskLoadError
from kernelwright.tasks.model import Task

REJ, INC = Status.rejected, Status.incorrect


@dataclass(frozen=True)
class Case:
    """One adversarial kernel and the verdict it must get."""

    kernel: str
    status: Status
    reason: Reason
    stage: Stage
    contains: str | None = None
    task: str = "activation/relu"  # a suite id, or `adv:<name>` for tests/adversarial/tasks/<name>.py
    timing: bool = False
    unchecked: tuple[Status, Reason, str | None] | None = None  # (status, reason, phrase) without static checks
    # `triton` cases run under the Triton interpreter where there is no GPU, `pallas` ones in interpret mode; `cuda`
    # ones stop at the static checks.
    platform: str = "cpu"

    @property
    def id(self) -> str:
        return self.kernel


S, B, C, T = Stage.static, Stage.build, Stage.correctness, Stage.timing

CASES = [
    # Row 1: no real kernel.
    Case("row01_torch_ops_only", REJ, Reason.no_kernel, S, "no custom kernel"),
    Case("row01_model_alias", REJ, Reason.reference_use, S, "reference Model"),
    Case("row01_subclass_model", REJ, Reason.reference_use, S, "inherits"),
    Case("row01_except_fallback", REJ, Reason.except_fallback, S, "except"),
    Case("row01_torch_in_forward", REJ, Reason.torch_compute, C, "clamp"),
    Case("row01_kernel_never_called", REJ, Reason.kernel_not_called, C, "never called"),
    Case("row01_cpp_aten_relu", REJ, Reason.torch_compute, C, "relu"),
    Case("row01_cpp_at_cpu_direct", REJ, Reason.unsafe_native_code, S, "around the dispatcher"),
    Case("row01_cpp_dispatch_guard", REJ, Reason.unsafe_native_code, S, "dispatch state"),
    Case("row01_disable_dispatch_mode", REJ, Reason.harness_introspection, S, "private"),
    Case("row01_triton_torch_compute", REJ, Reason.torch_compute, C, "relu", platform="triton"),
    Case("row01_numpy_compute", REJ, Reason.banned_import, S, "numpy"),
    Case("row01_pallas_torch_compute", REJ, Reason.torch_compute, C, "relu", platform="pallas"),
    Case("row01_pallas_jnp_compute", REJ, Reason.no_kernel, S, "inside kernel bodies", platform="pallas"),
    Case("row01_pallas_kernel_never_called", REJ, Reason.kernel_not_called, C, "never called", platform="pallas"),
    # Row 2: work the timer does not see.
    Case("row02_background_thread", REJ, Reason.banned_import, S, "threading",
         unchecked=(REJ, Reason.background_thread, "thread")),
    Case("row02_cpp_background_launch", REJ, Reason.unsafe_native_code, S, "background threads"),
    Case("row02_triton_side_stream", REJ, Reason.side_stream, S, "stream", platform="triton"),
    Case("row02_cuda_side_stream", REJ, Reason.side_stream, S, "cudaStreamCreate", platform="cuda"),
    # Row 3: not a plain tensor.
    Case("row03_tensor_subclass", REJ, Reason.output_type, C, "LazyResult"),
    # Row 4: cached results go stale when the timed runs write new values into the same buffers.
    Case("row04_cache_by_data_ptr", REJ, Reason.stale_output, T, "cached", task="adv:relu_single_group",
         timing=True),
    # Row 5: hoping for the reference's freed memory.
    Case("row05_empty_output", INC, Reason.output_mismatch, C, "input group 0"),
    # Row 6: making the reference agree, by mutating inputs or by tampering with what it runs.
    Case("row06_mutate_input", REJ, Reason.input_mutation, C, "modified input 0"),
    Case("row06_patch_torch_relu", REJ, Reason.harness_tamper, S, "alias.relu",
         unchecked=(REJ, Reason.harness_tamper, "torch.relu")),
    Case("row06_library_override", REJ, Reason.banned_call, S, "library",
         unchecked=(REJ, Reason.harness_tamper, "aten::relu")),
    Case("row06_global_forward_hook", REJ, Reason.harness_tamper, S, "register_module_forward_hook",
         unchecked=(REJ, Reason.harness_tamper, "hook")),
    Case("row06_global_function_mode", REJ, Reason.harness_tamper, B, "TorchFunctionMode"),
    # Row 7: lazy answers under a loose tolerance (degenerate tasks are refused at load: see below).
    Case("row07_flush_small_to_zero", INC, Reason.output_mismatch, C, "relative L2",
         task="adv:relu_loose_tolerance"),
    Case("row07_zeros", INC, Reason.output_mismatch, C, "outside atol", task="adv:relu_loose_tolerance"),
    # Row 8: the prompt's shape hard-coded.
    Case("row08_hardcoded_shape", INC, Reason.output_shape, C, "input group 1"),
    # Row 9: shortcuts valid for randn only.
    Case("row09_range_shortcut", INC, Reason.output_mismatch, C, "input group 3"),
    Case("row09_sampled_sign", INC, Reason.output_mismatch, C, "input group 2"),
    # Row 10: precision.
    Case("row10_half_output", INC, Reason.output_dtype, C, "float16"),
    Case("row10_double_output", INC, Reason.output_dtype, C, "float64"),
    Case("row10_bf16_compute", INC, Reason.output_mismatch, C, "atol"),
    # Row 11: the timer, sync and thread count.
    Case("row11_patch_perf_counter", REJ, Reason.banned_import, S, "time",
         unchecked=(REJ, Reason.timer_patch, "timer")),
    Case("row11_patch_cuda_sync", REJ, Reason.timer_patch, S, "torch.cuda.synchronize"),
    Case("row11_set_num_threads", REJ, Reason.timer_patch, S, "set_num_threads",
         unchecked=(REJ, Reason.timer_patch, "thread count")),
    Case("row11_threads_in_forward", REJ, Reason.timer_patch, S, "set_num_threads"),
    Case("row11_triton_patch_cuda_event", REJ, Reason.timer_patch, S, "torch.cuda.Event", platform="triton",
         unchecked=(REJ, Reason.timer_patch, "torch.cuda.Event")),
    Case("row11_omp_num_threads", REJ, Reason.unsafe_native_code, S, "thread count"),
    # Row 12: reading or rewriting the harness.
    Case("row12_import_gc", REJ, Reason.harness_introspection, S, "gc"),
    Case("row12_import_inspect", REJ, Reason.harness_introspection, S, "inspect"),
    Case("row12_frame_walk", REJ, Reason.harness_introspection, S, "frames"),
    Case("row12_function_globals", REJ, Reason.harness_introspection, S, "__globals__"),
    Case("row12_patch_harness_compare", REJ, Reason.banned_import, S, "`sys` module",
         unchecked=(INC, Reason.output_mismatch, "outside atol")),
    # Row 13: garbage memory and non-determinism.
    Case("row13_partial_write", INC, Reason.output_mismatch, C, "input group 0"),
    Case("row13_nondeterministic", INC, Reason.nondeterministic, C, "two runs"),
    # Row 14: faster than physics.
    Case("row14_faster_than_physics", REJ, Reason.above_peak, Stage.sanity, "faster than",
         task="adv:relu_impossible_flops", timing=True),
    # Row 15, static side (run-time side: test_sandbox.py).
    Case("row15_socket_connect", REJ, Reason.banned_import, S, "socket"),
    Case("row15_write_outside", REJ, Reason.banned_call, S, "open"),
    Case("row15_fork_bomb", REJ, Reason.banned_import, S, "os"),
    Case("row15_spawn_posixsubprocess", REJ, Reason.banned_import, S, "_posixsubprocess"),
    Case("row15_read_env_secret", REJ, Reason.banned_import, S, "os"),
    Case("row15_read_parent_environ", REJ, Reason.banned_import, S, "os"),
    Case("row15_from_file", REJ, Reason.banned_call, S, "from_file"),
    Case("row15_triton_constexpr_function", REJ, Reason.banned_call, S, "while the kernel compiles",
         platform="triton"),
    Case("row15_trojan_build_args", REJ, Reason.banned_call, S, "open"),
    Case("row15_cpp_fork", REJ, Reason.unsafe_native_code, S, "spawns processes"),
    Case("row15_cpp_system", REJ, Reason.unsafe_native_code, S, "spawns processes"),
    Case("row15_cpp_socket", REJ, Reason.unsafe_native_code, S, "socket"),
    Case("row15_cpp_fopen", REJ, Reason.unsafe_native_code, S, "file system"),
    Case("row15_cpp_getenv", REJ, Reason.unsafe_native_code, S, "environment"),
    Case("row15_cpp_include_secret", REJ, Reason.unsafe_native_code, S, "includes a file by path"),
    # These two pass the static check and are stopped by the builder, on what it really compiles.
    Case("row15_cpp_assembled_source", REJ, Reason.unsafe_native_code, B, "spawns processes"),
    Case("row15_compiler_flag_include", REJ, Reason.unsafe_native_code, B, "-include"),
    # Row 16: a forged verdict. Its effects (never believed) are asserted in test_jail.py.
    Case("row16_forge_result_channel", Status.runtime_error, Reason.crashed, C, "without an answer"),
    Case("row16_exit_code_masquerade", Status.runtime_error, Reason.crashed, C, "SIGSYS"),
    # Row 17: text screens dodged. Token-pasted system calls pass them; the jail makes them harmless (test_jail.py).
    Case("row17_pasted_write_outside", Status.correct, Reason.ok, C, "correct"),
    Case("row17_pasted_setns_connect", Status.correct, Reason.ok, C, "correct"),
    Case("row17_pasted_parent_environ", Status.runtime_error, Reason.runtime_exception, C, "LEAKED"),
    Case("row17_digraph_include", Status.build_error, Reason.compile_error, B, "compiling"),
    Case("row17_pythonapi_system", REJ, Reason.banned_import, S, "ctypes"),
    Case("row17_nsenter", REJ, Reason.banned_import, S, "ctypes"),
    Case("row17_dir_fd", REJ, Reason.banned_import, S, "os"),
    Case("row17_shadow_in_exception", REJ, Reason.banned_call, S, "open"),
    Case("row17_write_build_cache", REJ, Reason.banned_import, S, "os"),
    Case("row17_other_modules", REJ, Reason.banned_import, S, "os"),
    # Row 19: outputs deferred past the clock (timed calls only; correctness calls are honest and slow).
    Case("row19_deferred_subclass", REJ, Reason.harness_introspection, S, "private", task="activation/gelu",
         timing=True, unchecked=(REJ, Reason.output_type, "timed run")),
    Case("row19_positions_from_harness", REJ, Reason.banned_import, S, "sys", task="activation/gelu", timing=True,
         unchecked=(REJ, Reason.stale_output, "timing bucket 1")),
    # Row 20: inputs predicted from a seed the candidate could derive.
    Case("row20_seed_recovery", REJ, Reason.stale_output, T, "timing bucket 1", task="activation/gelu", timing=True),
    # Row 21: a stall in a timed round ends at the round's deadline (its cost to a neighbour: test_judge_round_two).
    Case("row21_stall_in_timed_call", Status.timeout, Reason.wall_timeout, T, "timed round", task="activation/gelu",
         timing=True),
    # Row 21: the judge's memory and the host's disk (more in test_row21_builds.py).
    Case("row21_log_bomb", Status.build_error, Reason.compile_error, B, "printed more than"),
    Case("row21_dump_flags", REJ, Reason.unsafe_native_code, B, "-fdump"),
    # Row 21: stalling the judge through its channel (more in test_stalls.py).
    Case("row21_send_flood", REJ, Reason.protocol_violation, B, "answers nothing the judge asked"),
    Case("row21_build_flood", REJ, Reason.except_fallback, S, "except",
         unchecked=(REJ, Reason.protocol_violation, "more than 16 kernel build requests")),
    Case("row21_frame_flood", REJ, Reason.banned_import, S, "kernelwright",
         unchecked=(REJ, Reason.protocol_violation, "more bytes behind")),
]
# Kernels whose test is more than a verdict, run by a test file of their own.
ELSEWHERE = {"row19_deferred_faulting_pages": "test_judge_round_two.py", "row21_cache_fill": "test_row21_builds.py",
             "row22_forged_screen": "test_terminal_forgery.py",
             "row23_flags_it_was_not_measured_with": "../export/test_package_build.py"}

UNCHECKED = [c for c in CASES if c.unchecked is not None]


def _task(ref: str) -> Task:
    return adversarial_task(ref.removeprefix("adv:")) if ref.startswith("adv:") else suite_task(ref)


def _options(case: Case) -> EvalOptions:
    # Row 14 needs a stable measurement to reach the sanity stage: a few more, longer buckets.
    return fast_options(timing=True, buckets=6, min_bucket_ms=5.0) if case.timing else fast_options()


def test_every_kernel_file_has_a_case_and_names_its_row() -> None:
    files = {p.stem for p in KERNELS.glob("row*.py")}
    assert files == {c.kernel for c in CASES} | set(ELSEWHERE), "kernel files and CASES disagree"
    for kernel, test_file in ELSEWHERE.items():
        assert f'"{kernel}"' in (KERNELS.parent / test_file).read_text(), f"{test_file} does not run {kernel}"
    for kernel in files:
        doc = ast.get_docstring(ast.parse(kernel_source(kernel))) or ""
        row = int(re.match(r"row(\d+)_", kernel).group(1))  # type: ignore[union-attr]
        assert doc.startswith(f"Row {row}"), f"{kernel}: docstring must start with 'Row {row}'"
        assert "Expected" in doc, f"{kernel}: docstring must state the expected verdict"


def test_every_row_is_covered() -> None:
    rows = {int(kernel[3:5]) for kernel in [c.kernel for c in CASES] + list(ELSEWHERE)}
    expected = set(range(1, 24)) - {18}
    assert rows == expected, f"rows without an adversarial kernel: {expected - rows}"
    # Row 18 is hostile task code, not a kernel: its task files are exercised by test_jail.py and the service tests.
    assert len(list((KERNELS.parent / "tasks").glob("hostile_*.py"))) >= 3


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_reward_hack_is_caught(case: Case) -> None:
    for _ in range(3 if case.timing else 1):
        result = evaluate(_task(case.task), kernel_source(case.kernel), case.platform, _options(case))
        if result.status is not Status.unstable:  # a noisy shared machine; the sanity stage needs a stable timing
            break
    assert_verdict(result, case.status, case.reason, case.contains)
    assert result.stage is case.stage, f"stopped at {result.stage.value}, expected {case.stage.value}"
    if case.reason is not Reason.above_peak:  # above_peak reports the impossible speedup as its evidence
        assert result.speedup is None, "a candidate that is not correct must not carry a speedup"


@pytest.mark.parametrize("case", UNCHECKED, ids=[c.id for c in UNCHECKED])
def test_runtime_checks_hold_without_static_checks(case: Case) -> None:
    assert case.unchecked is not None
    status, reason, contains = case.unchecked
    result = run_unchecked(_task(case.task), kernel_source(case.kernel), _options(case), platform=case.platform)
    assert_verdict(result, status, reason, contains)


DEGENERATE = [
    ("degenerate_constant", "constant"),
    ("degenerate_near_zero", "near zero"),
    ("degenerate_softmax_huge_dim", "within tolerance of all zeros"),
    ("degenerate_input_independent", "independent of its inputs"),
]


@pytest.mark.parametrize(("name", "phrase"), DEGENERATE, ids=[d[0] for d in DEGENERATE])
def test_degenerate_task_is_refused_at_load(name: str, phrase: str) -> None:
    """Row 7: a task whose reference output is constant, near zero or input-independent can't be loaded."""
    with pytest.raises(TaskLoadError) as info:
        adversarial_task(name)
    message = str(info.value)
    assert "degenerate task" in message and phrase in message, message
