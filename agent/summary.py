"""What a run came to, computed from the store alone (so `optimize`, `runs show` and a resumed run agree)."""

from __future__ import annotations

from pydantic import BaseModel

from kernelwright.agent.search import is_verified_speedup
from kernelwright.db import Store
from kernelwright.db.enums import RunStatus, TurnOutcome
from kernelwright.evaluator.result import EvalResult, Status


class Kernel(BaseModel):
    """A candidate with its verdict and where in the search it came from."""

    trajectory: int
    turn: int
    candidate_id: int
    evaluation_id: int
    source: str
    result: EvalResult

    @property
    def speedup_text(self) -> str:
        r = self.result
        if r.speedup is None or r.speedup_ci is None:
            return "-"
        return f"{r.speedup:.2f}x [{r.speedup_ci[0]:.2f}, {r.speedup_ci[1]:.2f}]"


class RunSummary(BaseModel):
    """The answer of a run and its accounting."""

    run_id: str
    status: RunStatus
    task_id: str | None = None
    platform: str | None = None
    provider: str | None = None
    answer: Kernel | None = None
    best_correct: Kernel | None = None
    trajectories: int = 0
    turns: int = 0
    evaluated: int = 0
    cached: int = 0
    no_code: int = 0
    llm_errors: int = 0
    correct: int = 0
    unstable: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    stop_reasons: list[str] = []

    @property
    def message(self) -> str:
        """One plain sentence on the outcome."""
        if self.answer is not None:
            return (f"verified speedup {self.answer.speedup_text} vs PyTorch eager "
                    f"(trajectory {self.answer.trajectory}, turn {self.answer.turn + 1})")
        if self.best_correct is not None:
            return (f"no candidate beat the baseline with confidence: the fastest correct one ran "
                    f"{self.best_correct.speedup_text}, and its interval does not clear 1.0x")
        if self.correct:
            return "correct candidates were found but none could be timed here, so no speedup is claimed"
        if self.unstable:
            return "correct candidates were found but their timing never settled, so no speedup is claimed"
        return "no correct candidate was found"


def summarize_run(store: Store, run_id: str) -> RunSummary:
    """Summarize a stored run: the fastest verified kernel, the fastest correct one, tokens and cost."""
    run = store.get_run(run_id)
    if run is None:
        raise LookupError(f"no run {run_id!r} in the store (see `kernelwright runs list`)")
    config = (run.config or {}).get("optimize", {})
    summary = RunSummary(run_id=run.id, status=run.status, task_id=(run.config or {}).get("task_id"),
                         platform=config.get("platform"), provider=(run.config or {}).get("provider_label"))
    kernels: list[Kernel] = []
    for traj in store.trajectories_for_run(run_id):
        summary.trajectories += 1
        if traj.stop_reason:
            summary.stop_reasons.append(f"trajectory {traj.index}: {traj.stop_reason}")
        for turn in store.turns_for_trajectory(traj.id):
            summary.turns += 1
            summary.prompt_tokens += turn.prompt_tokens or 0
            summary.completion_tokens += turn.completion_tokens or 0
            summary.cost_usd += turn.cost_usd or 0.0
            outcome = turn.outcome
            summary.evaluated += outcome is TurnOutcome.evaluated
            summary.cached += outcome is TurnOutcome.cached
            summary.no_code += outcome is TurnOutcome.no_code
            summary.llm_errors += outcome is TurnOutcome.llm_error
            if turn.evaluation_id is None or turn.candidate_id is None:
                continue
            row = store.get_evaluation(turn.evaluation_id)
            candidate = store.get_candidate(turn.candidate_id)
            if row is None or candidate is None:
                continue
            summary.correct += row.result.is_correct
            summary.unstable += row.result.status is Status.unstable
            kernels.append(Kernel(trajectory=traj.index, turn=turn.index, candidate_id=candidate.id,
                                  evaluation_id=row.id, source=candidate.source, result=row.result))
    timed = [k for k in kernels if k.result.is_correct and k.result.speedup is not None]
    verified = [k for k in timed if is_verified_speedup(k.result)]

    def fastest(pool: list[Kernel]) -> Kernel | None:
        # Earliest wins ties, so a repeated kernel is credited to the turn that first produced it.
        return max(pool, key=lambda k: (k.result.speedup, -k.trajectory, -k.turn), default=None)

    summary.answer = fastest(verified)
    summary.best_correct = fastest(timed)
    return summary
