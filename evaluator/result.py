"""The evaluator's verdict: statuses, reason codes, stages and the `EvalResult` model."""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, Field

# Bumped whenever a check or the timing protocol changes, so stored results can be re-scored.
# 2.0.0: the jail and the judge (untrusted code only in jailed runners; verdicts, comparisons and the clock in the
# judge; adaptive interleaved rounds with order-statistic intervals).
# 2.1.0: the judge, round two (outputs timed whole and read from a frozen runner, inputs from secret seeds, a
# deadline on every round and wait, bounded builds).
# 2.2.0: timing stops at the first planned look whose interval decides, the error rate split between the looks.
HARNESS_VERSION = "2.2.0"
# A plain version: whether a result was jailed and which tolerance judged it are its own fields (`jailed`,
# `tolerance`), stored as columns; db/provenance.py says which stored verdicts a request may reuse.


class ToleranceMode(str, Enum):
    """Which tolerance correctness uses."""

    task = "task"  # each task's own: 1e-4 atol/rtol and a relative-L2 bound unless the task says otherwise
    kernelbench = "kernelbench"  # KernelBench's check: allclose with atol = rtol = 1e-2, for comparable scores

    @property
    def label(self) -> str:
        """What a result, a leaderboard row or a report says about it."""
        return {ToleranceMode.task: "task (strict: 1e-4 unless the task says otherwise)",
                ToleranceMode.kernelbench: "kernelbench (atol=rtol=1e-2)"}[self]


def provenance_label(version: str, jailed: bool, tolerance: ToleranceMode) -> str:
    """A harness version with how its results were made, for people to read: "2.2.0", "2.2.0, unjailed,
    kernelbench tolerance". Display only: nothing parses it back."""
    return ", ".join([version, *([] if jailed else ["unjailed"]),
                      *([] if tolerance is ToleranceMode.task else [f"{tolerance.value} tolerance"])])


class Status(str, Enum):
    correct = "correct"
    incorrect = "incorrect"
    build_error = "build_error"
    runtime_error = "runtime_error"
    timeout = "timeout"
    rejected = "rejected"
    unstable = "unstable"
    # Compiled for the GPU on a machine without one: nothing ran, so it is neither correct nor fast.
    build_ok_unverified = "build_ok_unverified"
    # No evaluation took place: the task was refused (its probe failed) or the request could not be served.
    refused = "refused"


class Verification(str, Enum):
    """How far a result could be checked on the machine that produced it."""

    native = "native"  # built, checked and timed on the platform's own hardware
    interpreter = "interpreter"  # Triton without a GPU: correctness under TRITON_INTERPRET=1 on small inputs only
    compile_only = "compile_only"  # CUDA without a GPU: compiled with nvcc, never run

    @property
    def label(self) -> str:
        """What a person reading the result must know about it."""
        return VERIFICATION_LABELS[self]


VERIFICATION_LABELS = {
    Verification.native: "ran on the device",
    Verification.interpreter: "interpreted: correctness only, on small inputs, not timed",
    Verification.compile_only: "compile-checked only: no GPU here, nothing ran",
}


class Stage(str, Enum):
    """Pipeline stages, in order; `EvalResult.stage` is the last one reached."""

    static = "static"
    build = "build"
    correctness = "correctness"
    timing = "timing"
    sanity = "sanity"
    done = "done"


class Reason(str, Enum):
    """Why an evaluation ended where it did. Each anti-cheat rule has its own code."""

    ok = "ok"
    # static / load
    syntax_error = "syntax_error"
    no_model_new = "no_model_new"
    no_kernel = "no_kernel"
    reference_use = "reference_use"
    except_fallback = "except_fallback"
    banned_import = "banned_import"
    banned_call = "banned_call"
    timer_patch = "timer_patch"
    harness_introspection = "harness_introspection"
    unsafe_native_code = "unsafe_native_code"
    # build
    compile_error = "compile_error"
    import_error = "import_error"
    # run
    runtime_exception = "runtime_exception"
    crashed = "crashed"
    out_of_memory = "out_of_memory"
    wall_timeout = "wall_timeout"
    sandbox_violation = "sandbox_violation"
    harness_tamper = "harness_tamper"
    # a frame the judge did not ask for: a build request outside loading, more than the build cap, an answer ahead
    protocol_violation = "protocol_violation"
    # correctness
    torch_compute = "torch_compute"
    kernel_not_called = "kernel_not_called"
    kernel_not_built = "kernel_not_built"
    output_type = "output_type"
    output_shape = "output_shape"
    output_dtype = "output_dtype"
    output_device = "output_device"
    output_storage = "output_storage"
    output_mismatch = "output_mismatch"
    input_mutation = "input_mutation"
    nondeterministic = "nondeterministic"
    stale_output = "stale_output"
    background_thread = "background_thread"
    side_stream = "side_stream"
    deferred_work = "deferred_work"  # work after answering a timed round (row 19)
    # timing / sanity
    unstable_timing = "unstable_timing"
    above_peak = "above_peak"
    cached_calls = "cached_calls"  # no longer given (such repeats are timed on lone calls); stored verdicts load
    # harness
    harness_error = "harness_error"
    task_error = "task_error"
    degenerate_task = "degenerate_task"
    bad_request = "bad_request"
    no_toolchain = "no_toolchain"
    no_jail = "no_jail"


class CorrectnessStats(BaseModel):
    """What the correctness stage measured over all trials and input groups."""

    trials: int = 0
    input_groups: int = 0
    max_abs_error: float | None = None
    max_rel_error: float | None = None
    worst_index: list[int] | None = None
    mismatch_fraction: float | None = None


class TimingStop(str, Enum):
    """Why timing stopped where it did (evaluator/judge/timing_decision.py)."""

    decided = "decided"  # the interval said faster, slower or indistinguishable at a planned look
    narrow = "narrow"  # the interval was as narrow as asked (`target_width`)
    budget = "budget"  # the next look would have run past the timing budget
    last_look = "last_look"  # the most buckets allowed
    stale = "stale"  # an answer did not match the reference's: no speedup


class TimingStats(BaseModel):
    """Raw timing evidence behind a speedup, all of it measured on the judge's clock."""

    buckets: int = 0
    runs_per_bucket: int = Field(default=0, description="calls per measured round (after one lone call per side)")
    threads: int = 0
    bucket_ratios: list[float] = Field(default_factory=list)
    baseline_min_ms: float | None = None
    candidate_min_ms: float | None = None
    retries: int = 0
    decision: str | None = Field(default=None, description="faster, slower, indistinguishable or unstable: what "
                                 "the interval says against the baseline")
    confidence: float | None = Field(default=None, description="the interval's own level: above 95% when timing "
                                     "could have stopped at an earlier look (the error rate is split between looks)")
    stopped: TimingStop | None = Field(default=None, description="why timing stopped after this many buckets")
    seconds: float | None = Field(default=None, description="judge wall time spent timing")
    alone_ms: float | None = Field(default=None, description="the candidate's call on inputs it had not seen, less "
                                   "a round's fixed cost")
    repeated_ms: float | None = Field(default=None, description="the candidate's call repeated on the same inputs")
    busy_fraction: float | None = Field(default=None, description="the candidate's CPU time while the baseline "
                                        "was timed, over that time")
    lone_calls: str | None = Field(default=None, description="set when the speedup was taken from lone calls on new "
                                   "inputs, because repeated calls cost much less than a lone one: why")


class EvalResult(BaseModel):
    """One evaluation of one candidate on one task and platform."""

    status: Status
    reason: Reason
    message: str = ""
    stage: Stage
    speedup: float | None = None
    speedup_ci: tuple[float, float] | None = None
    baseline_ms: float | None = None
    candidate_ms: float | None = None
    platform: str
    hardware: str = ""
    harness_version: str = HARNESS_VERSION
    allow_torch: bool = False
    task_id: str | None = None
    task_hash: str | None = None
    candidate_hash: str | None = None
    correctness: CorrectnessStats | None = None
    timing: TimingStats | None = None
    achieved_gbps: float | None = None
    achieved_gflops: float | None = None
    verification: Verification = Verification.native
    size: str | None = Field(default=None, description="the task's problem size this ran at (tasks/sizes.py)")
    build_seconds: float | None = None
    wall_seconds: float | None = None
    jailed: bool = Field(default=True, description="False only under --unsafe-no-jail: the candidate ran without "
                         "the OS jail, and nothing about it can be trusted beyond the user's own machine")
    tolerance: ToleranceMode = Field(default=ToleranceMode.task, description="the tolerance correctness used")
    log: str = ""

    @property
    def provenance(self) -> str:
        """The harness version with how the result was made, for people to read (the store keys on the fields
        `harness_version`, `jailed` and `tolerance`, never on this text)."""
        return provenance_label(self.harness_version, self.jailed, self.tolerance)

    @property
    def is_correct(self) -> bool:
        return self.status is Status.correct

    @property
    def interval_wide(self) -> bool:
        """Whether the speedup's interval is too wide to stand for the speedup itself (see rl/rewards.py)."""
        if self.speedup is None or self.speedup_ci is None or self.speedup <= 0:
            return False
        lo, hi = self.speedup_ci
        return (hi - lo) > 0.5 * self.speedup
