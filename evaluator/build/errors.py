"""Errors raised while building a candidate."""

from __future__ import annotations


class BuildError(RuntimeError):
    """A kernel failed to compile or link; `log` holds the trimmed compiler output."""

    def __init__(self, message: str, log: str = "") -> None:
        super().__init__(message)
        self.log = log


class UnsafeSourceError(BuildError):
    """The exact C++ source about to be compiled breaks an unsafe-native-code rule (see static_checks)."""


def trim_compiler_log(log: str, max_lines: int = 40) -> str:
    """Keep the errors (and a little context) from a compiler's output, dropping template noise."""
    lines = log.splitlines()
    keep: list[str] = []
    for i, line in enumerate(lines):
        if "error" in line or "Error" in line:
            keep.extend(lines[max(0, i - 1) : i + 3])
    if not keep:
        keep = lines[-max_lines:]
    unique = list(dict.fromkeys(keep))  # first occurrence of each line, in order
    return "\n".join(unique[:max_lines])
