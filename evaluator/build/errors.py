"""Errors raised while building a candidate, and the trimmed compiler log that goes back with them."""

from __future__ import annotations

from kernelwright.evaluator.jail.capture import LEFT_OUT

# What a build error's log holds at most: lines, and characters per line (one line of a nested template's error can
# be megabytes: the type is printed whole).
MAX_LOG_LINES = 40
MAX_LINE_CHARS = 400


class BuildError(RuntimeError):
    """A kernel failed to compile or link; `log` holds the trimmed compiler output."""

    def __init__(self, message: str, log: str = "") -> None:
        super().__init__(message)
        self.log = log


class UnsafeSourceError(BuildError):
    """The exact C++ source about to be compiled breaks an unsafe-native-code rule (see static_checks), or its
    build asked for (or made) something no kernel needs: a flag that writes files, a module over the size cap."""


def _short(line: str, limit: int = MAX_LINE_CHARS) -> str:
    if len(line) <= limit:
        return line
    return f"{line[:limit]} [... {len(line) - limit} more characters]"


def trim_compiler_log(log: str, max_lines: int = MAX_LOG_LINES) -> str:
    """Keep the errors (and a little context) from a compiler's output, dropping template noise.

    Long lines are cut, and the line saying how much of a bounded capture's middle was left out is kept, so a
    reader knows the log is not whole.
    """
    lines = log.splitlines()
    keep: list[str] = []
    for i, line in enumerate(lines):
        if "error" in line or "Error" in line:
            keep.extend(lines[max(0, i - 1) : i + 3])
        elif LEFT_OUT in line:
            keep.append(line)
    if not keep:
        keep = lines[-max_lines:]
    unique = list(dict.fromkeys(_short(line) for line in keep))  # first occurrence of each line, in order
    dropped = [line for line in unique if LEFT_OUT in line]
    kept = unique[:max_lines]
    return "\n".join(kept + [line for line in dropped if line not in kept])
