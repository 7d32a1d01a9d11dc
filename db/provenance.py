"""Which stored verdicts a request may reuse: the one place that says it (`VerdictKey`).

A verdict (an evaluation, or a baseline timing) is only as good as how it was made: which harness judged it,
whether the candidate ran in the OS jail, and which tolerance its outputs were checked with. Each is a column of
its own; every reader (the evaluation cache of optimize, bench and GRPO rollouts, the exemplar pool, baseline
reuse, the leaderboard's compile ratios, re-scoring) asks this key, so none rebuilds the rule by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_

from kernelwright.db.models import BaselineTimingModel, EvaluationModel
from kernelwright.evaluator.baseline_result import BaselineResult
from kernelwright.evaluator.request import EvalOptions
from kernelwright.evaluator.result import HARNESS_VERSION, EvalResult, ToleranceMode, provenance_label


@dataclass(frozen=True)
class VerdictKey:
    """How a verdict was made; a request reuses only stored verdicts made the same way, all three equal.

    An unjailed verdict never stands in for a jailed one (nothing about it can be trusted) nor a jailed one for
    an unjailed request (its timings were taken under other conditions); a verdict at KernelBench's loose
    tolerance never stands in for a strict one, nor the other way (the scores would not be comparable).
    """

    harness_version: str = HARNESS_VERSION
    jailed: bool = True
    tolerance: ToleranceMode = ToleranceMode.task

    @classmethod
    def of_options(cls, options: EvalOptions, harness_version: str = HARNESS_VERSION) -> VerdictKey:
        """The key of the verdicts an evaluation with `options` makes now (and may therefore reuse)."""
        return cls(harness_version, not options.unsafe_no_jail, options.tolerance)

    @classmethod
    def of(cls, result: EvalResult | BaselineResult) -> VerdictKey:
        """The key of a verdict the evaluator returned."""
        return cls(result.harness_version, result.jailed, result.tolerance)

    def admits(self, result: EvalResult | BaselineResult) -> bool:
        """Whether a request with this key may use `result` in place of judging again."""
        return VerdictKey.of(result) == self

    def where(self, model: type[EvaluationModel] | type[BaselineTimingModel]) -> ColumnElement[bool]:
        """The SQL condition that keeps the stored verdicts (rows of `model`) this key admits."""
        return and_(model.harness_version == self.harness_version, model.jailed == self.jailed,
                    model.tolerance == self.tolerance)

    @property
    def label(self) -> str:
        """For people to read (nothing parses it back)."""
        return provenance_label(self.harness_version, self.jailed, self.tolerance)
