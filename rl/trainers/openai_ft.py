"""`kernelwright train openai`: upload an `openai`-format export and start a fine-tuning job with the `openai` client.

`--wait` polls the job until it reaches a terminal status, printing a progress line whenever it changes.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from enum import Enum
from pathlib import Path

from openai import OpenAI
from pydantic import BaseModel, Field


class JobStatus(str, Enum):
    """OpenAI's fine-tuning job statuses."""

    validating_files = "validating_files"
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def terminal(self) -> bool:
        """Whether the job will not change any more."""
        return self in (JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled)


class OpenAIFineTuneOptions(BaseModel):
    """One fine-tuning job."""

    model: str
    data: Path = Field(description="an export made with `--format openai` (JSONL of {'messages': [...]})")
    suffix: str | None = None
    epochs: int | None = Field(default=None, ge=1)
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    poll_s: float = Field(default=30.0, gt=0)
    timeout_s: float | None = Field(default=None, gt=0, description="give up waiting after this long")


class JobState(BaseModel):
    """What a poll of the job said."""

    id: str
    status: JobStatus
    model: str
    training_file: str
    fine_tuned_model: str | None = None
    trained_tokens: int | None = None
    error: str | None = None

    def line(self) -> str:
        """A one-line progress report."""
        parts = [f"job {self.id}: {self.status.value}"]
        if self.trained_tokens:
            parts.append(f"{self.trained_tokens} tokens trained")
        if self.fine_tuned_model:
            parts.append(f"model {self.fine_tuned_model}")
        if self.error:
            parts.append(f"error: {self.error}")
        return ", ".join(parts)


def check_openai_jsonl(path: Path) -> int:
    """Count the records of an OpenAI chat JSONL, refusing keys other than `messages` (the API rejects them)."""
    count = 0
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            record = json.loads(line)
            if set(record) != {"messages"}:
                raise ValueError(f"{path}:{number} has keys {sorted(record)}; OpenAI accepts only 'messages' "
                                 "(export with `kernelwright traces export --format openai`)")
            count += 1
    if count == 0:
        raise ValueError(f"{path} holds no records; nothing to fine-tune on")
    return count


def _client(options: OpenAIFineTuneOptions) -> OpenAI:
    key = os.environ.get(options.api_key_env)
    if not key:
        raise ValueError(f"no API key: set {options.api_key_env} (or --api-key-env NAME)")
    return OpenAI(api_key=key, base_url=options.base_url or os.environ.get("OPENAI_BASE_URL") or None)


def _state(job: object) -> JobState:
    error = getattr(job, "error", None)
    return JobState(id=job.id, status=JobStatus(job.status), model=job.model,  # type: ignore[attr-defined]
                    training_file=job.training_file, fine_tuned_model=job.fine_tuned_model,  # type: ignore[attr-defined]
                    trained_tokens=job.trained_tokens,  # type: ignore[attr-defined]
                    error=getattr(error, "message", None) if error is not None else None)


def start_fine_tune(options: OpenAIFineTuneOptions) -> JobState:
    """Upload the training file and create the job; returns its first state."""
    check_openai_jsonl(options.data)
    client = _client(options)
    with options.data.open("rb") as fh:
        uploaded = client.files.create(file=(options.data.name, fh), purpose="fine-tune")
    extra: dict[str, object] = {}
    if options.epochs is not None:
        extra["method"] = {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": options.epochs}}}
    if options.suffix is not None:
        extra["suffix"] = options.suffix
    job = client.fine_tuning.jobs.create(model=options.model, training_file=uploaded.id, **extra)  # type: ignore[arg-type]
    return _state(job)


def wait_for_job(options: OpenAIFineTuneOptions, job_id: str, on_progress: Callable[[JobState], None],
                 sleep: Callable[[float], None] = time.sleep) -> JobState:
    """Poll the job until it succeeds, fails or is cancelled; `on_progress` sees every change of state."""
    client = _client(options)
    start = time.monotonic()
    last: JobState | None = None
    while True:
        state = _state(client.fine_tuning.jobs.retrieve(job_id))
        if state != last:
            on_progress(state)
            last = state
        if state.status.terminal:
            return state
        if options.timeout_s is not None and time.monotonic() - start > options.timeout_s:
            raise TimeoutError(f"job {job_id} is still {state.status.value} after {options.timeout_s:.0f} s; "
                               "check it later with the OpenAI dashboard or API")
        sleep(options.poll_s)
