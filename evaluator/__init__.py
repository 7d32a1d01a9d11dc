"""The evaluator: a pure function from (task, candidate source, platform) to an `EvalResult`."""

from evaluator.api import evaluate
from evaluator.request import EvalOptions
from evaluator.result import HARNESS_VERSION, EvalResult, Reason, Stage, Status

__all__ = ["HARNESS_VERSION", "EvalOptions", "EvalResult", "Reason", "Stage", "Status", "evaluate"]
