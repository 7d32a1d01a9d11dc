"""A search's starting kernel: a stored kernel or a solution file the first prompt shows the model to port (to
another platform) or to improve (on its own), recorded with the run so `runs show` can tell where it began."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from kernelwright.db import Store
from kernelwright.evaluator.platforms import available_platforms, platform_error
from kernelwright.tasks.hashing import sha256_text


class StartError(ValueError):
    """The starting kernel cannot be used (no such kernel or file, unknown platform); the message says why."""


class StartingKernel(BaseModel):
    """The kernel a search starts from, as stored in the run's config: its source (so a resumed run shows the
    same text), the platform it was written for, and where it came from (a kernel id, or a file and its hash)."""

    source: str
    platform: str = Field(description="the platform the kernel was written for")
    kernel_id: int | None = Field(default=None, description="the stored kernel it was read from")
    task_id: str | None = Field(default=None, description="the task of the stored kernel")
    file: str | None = Field(default=None, description="the solution file it was read from")
    source_sha256: str = Field(description="hash of `source`: tells which version of the file was used")

    def describe(self) -> str:
        """Where it came from, in a few words: "kernel 12 (cuda)" or "relu.cuda.py (cuda, sha256 1a2b3c4d5e6f)"."""
        if self.kernel_id is not None:
            return f"kernel {self.kernel_id} ({self.platform})"
        return f"{self.file} ({self.platform}, sha256 {self.source_sha256[:12]})"


def is_kernel_id(ref: str) -> bool:
    """Whether `ref` (a `--from-kernel` value) names a stored kernel rather than a file."""
    return ref.isdigit()


def stored_start(store: Store, kernel_id: int) -> tuple[StartingKernel, str]:
    """The stored kernel `kernel_id` as a starting kernel, and its task's stored source."""
    candidate = store.get_candidate(kernel_id)
    if candidate is None:
        raise StartError(f"no kernel {kernel_id} in the store (see `kernelwright kernels list`)")
    task = store.get_task(candidate.task_id)
    if task is None:
        raise StartError(f"kernel {kernel_id}'s task {candidate.task_id!r} is not in the store")
    start = StartingKernel(source=candidate.source, platform=candidate.platform, kernel_id=kernel_id,
                           task_id=candidate.task_id, source_sha256=sha256_text(candidate.source))
    return start, task.source


def _platform_of_name(path: Path) -> str | None:
    """The platform a solution file's name declares (`relu.cuda.py`: cuda), if it names a known one."""
    parts = path.name.split(".")
    return parts[-2] if len(parts) >= 3 and parts[-2] in available_platforms() else None


def file_start(path: Path, platform: str | None) -> StartingKernel:
    """A solution file as a starting kernel; its platform is `platform`, or else the one its name declares."""
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StartError(f"cannot read the starting kernel {path}: {exc.strerror or exc}") from exc
    platform = platform or _platform_of_name(path)
    if platform is None:
        raise StartError(f"which platform is {path} written for? Give --from-platform (or name the file "
                         f"NAME.PLATFORM.py, e.g. relu.cuda.py)")
    if (problem := platform_error(platform)) is not None:
        raise StartError(problem)
    # Absolute: `runs show --config` writes it into a file whose relative paths are read from that file's folder.
    return StartingKernel(source=source, platform=platform, file=str(path.resolve()),
                          source_sha256=sha256_text(source))
