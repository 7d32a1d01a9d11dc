"""The search's rules: which strategy, how many trajectories and turns, when a trajectory stops, what counts as the
answer."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from kernelwright.agent.strategies.registry import DEFAULT_STRATEGY, registered
from kernelwright.evaluator.result import EvalResult, Status

# Verdicts that are not a failure of the candidate: correct (timed or not) and correct-but-unsteady timing.
# `build_ok_unverified` (a CUDA build checked on a machine without a GPU) is the best such a machine can say.
NOT_FAILED = {Status.correct.value, Status.unstable.value, Status.build_ok_unverified.value}


class SearchConfig(BaseModel):
    """A strategy (`agent.strategies`) over N workers x T turns: the default's N parallel trajectories of T
    refinement turns with early stopping; every strategy spends at most N x T model calls per task."""

    strategy: str = Field(default=DEFAULT_STRATEGY, description="how candidates are chosen and refined: parallel "
                          "(N trajectories x T turns), evolution (islands of a program database) or tree "
                          "(best-first over attempts)")
    trajectories: int = Field(default=2, ge=1, description="parallel workers: trajectories, islands or tree workers")
    turns: int = Field(default=4, ge=1, description="model calls per worker")
    max_failures: int = Field(default=3, ge=1, description="stop after this many failed turns in a row")
    patience: int = Field(default=2, ge=1, description="stop after this many turns without a new best")
    exemplars: int = Field(default=2, ge=0, description="earlier candidates shown per prompt")
    seed: int = 0

    @field_validator("strategy")
    @classmethod
    def _known_strategy(cls, name: str) -> str:
        registered(name)
        return name

    @property
    def budget(self) -> int:
        """Model calls per task, the same for every strategy."""
        return self.trajectories * self.turns


class TrajectoryState(BaseModel):
    """Where one trajectory stands; rebuilt from the store on resume by replaying its turns."""

    index: int
    db_id: int
    turns_done: int = 0
    failures: int = 0
    stale: int = 0
    best_speedup: float | None = None
    feedback: str | None = None
    parent_candidate_id: int | None = None
    pending_turn_id: int | None = Field(default=None, description="a stored turn still waiting for its verdict")
    stop_reason: str | None = None
    last_result: EvalResult | None = Field(default=None, description="the verdict of the turn observed last")

    def observe(self, result: EvalResult | None, config: SearchConfig) -> bool:
        """Account for one finished turn (`None`: no code or no reply); returns whether it set a new best."""
        self.turns_done += 1
        self.last_result = result
        ok = result is not None and result.status.value in NOT_FAILED
        self.failures = 0 if ok else self.failures + 1
        improved = (result is not None and result.is_correct and result.speedup is not None
                    and (self.best_speedup is None or result.speedup > self.best_speedup))
        if improved:
            self.best_speedup = result.speedup  # type: ignore[union-attr]
            self.stale = 0
        elif self.best_speedup is not None:
            self.stale += 1
        self.stop_reason = self._stop_reason(config)
        if result is not None and result.status is Status.build_ok_unverified:
            # Without the hardware every later turn would end the same way: compiled, never checked.
            self.stop_reason = "compiled only: no GPU here to run, check or time the kernel"
        return improved

    def _stop_reason(self, config: SearchConfig) -> str | None:
        if self.turns_done >= config.turns:
            return f"used all {config.turns} turns"
        if self.failures >= config.max_failures:
            return f"{self.failures} failed turns in a row"
        if self.stale >= config.patience:
            return f"no new best in {self.stale} turns"
        return None

    @property
    def done(self) -> bool:
        return self.stop_reason is not None


def is_verified_speedup(result: EvalResult) -> bool:
    """Correct, timed, and the lower end of its 95% interval beats the baseline."""
    return result.is_correct and result.speedup_ci is not None and result.speedup_ci[0] > 1.0


class SearchProgress(BaseModel):
    """How far one task's search is: model calls spent (a stopped worker counts its whole share) of its budget."""

    turns_done: int
    budget: int
