"""What the TRL trainers share: the lazy import check, the device, and a step timer."""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel

INSTALL_HINT = "training needs the train extra: pip install -c constraints.txt -e '.[train]'"


class TrainingReport(BaseModel):
    """What a training run did and how long its optimizer steps took."""

    output_dir: str
    steps: int
    mean_step_s: float
    step_s: list[float]
    final_loss: float | None = None


def require_train_extra() -> None:
    """Raise an ImportError that says what to install when the `train` extra is missing."""
    try:
        import datasets  # noqa: F401
        import transformers  # noqa: F401
        import trl  # noqa: F401
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc


def on_cpu() -> bool:
    """Whether training runs on the CPU (no CUDA device)."""
    import torch

    return not torch.cuda.is_available()


def step_timer() -> Any:
    """A transformers `TrainerCallback` that records each optimizer step's wall time in `.durations`."""
    from transformers import TrainerCallback

    class StepTimer(TrainerCallback):
        def __init__(self) -> None:
            self.durations: list[float] = []
            self._start = 0.0

        def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self._start = time.perf_counter()

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.durations.append(time.perf_counter() - self._start)

    return StepTimer()


def final_loss(log_history: list[dict[str, Any]]) -> float | None:
    """The last logged training loss, if any."""
    losses = [entry["loss"] for entry in log_history if "loss" in entry]
    return float(losses[-1]) if losses else None


def report(output_dir: str, timer: Any, log_history: list[dict[str, Any]]) -> TrainingReport:
    """The report of a finished trainer."""
    durations = list(timer.durations)
    mean = sum(durations) / len(durations) if durations else 0.0
    return TrainingReport(output_dir=output_dir, steps=len(durations), mean_step_s=mean, step_s=durations,
                          final_loss=final_loss(log_history))
