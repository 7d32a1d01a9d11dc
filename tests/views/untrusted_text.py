"""A text that tries to forge a screen, and the checks that it did not: shared by the view tests."""

from __future__ import annotations

import io
import re

from rich.console import Console, RenderableType

from kernelwright.evaluator.result import EvalResult, Reason, Stage, Status

ESC = "\x1b"
# Up to the row above, erase it, write a verdict there in markup; a window title; the 8-bit CSI; a bidi override
# that shows `correct 42.00x` reversed; a zero-width space; CR and BS that overwrite; an emoji code.
HOSTILE = (f"[bold green]correct[/] {ESC}[4A{ESC}[2K{ESC}[1G{ESC}]0;forged title\a\x9b2K[bold]42.00x[/] "
           ":white_check_mark: \u202ex00.24 tcerroc\u202c\u200b\rover\b")
# What a screen may not show of it: every control, escape and format character, and the emoji Rich would draw.
FORBIDDEN = ("\x1b", "\x9b", "\x07", "\u202e", "\u202c", "\u200b", "\r", "\b", "\u2705")
# Rich's own colours (SGR sequences) are the only escape codes a terminal rendering may hold.
SGR = re.compile(r"\x1b\[[0-9;]*m")
BOLD_GREEN = "\x1b[1;32m"
# A task file whose docstring (its description) is `HOSTILE`.
TASK_SOURCE = f'''"""{HOSTILE}"""
import torch
import torch.nn as nn


class Model(nn.Module):
    def forward(self, x):
        return torch.relu(x)


def get_inputs():
    return [torch.randn(8)]


def get_init_inputs():
    return []
'''


def failed_result(log: str = "") -> EvalResult:
    """A runtime error whose message (and task id) carry `HOSTILE`."""
    return EvalResult(status=Status.runtime_error, reason=Reason.runtime_exception, stage=Stage.correctness,
                      message=f"trial 1, input group 0: RuntimeError: {HOSTILE}", platform="cpu",
                      task_id=f"user/{HOSTILE}", log=log)


def recording_console(terminal: bool = True, width: int = 200) -> Console:
    """A console of `width` columns that writes into memory (read it back with `written`), with colours
    (`terminal`) or without."""
    return Console(file=io.StringIO(), force_terminal=terminal, color_system="standard" if terminal else None,
                   width=width)


def written(console: Console) -> str:
    """What `console` (from `recording_console`) has written so far."""
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(output, str)
    return output


def render(renderable: RenderableType, terminal: bool = True, width: int = 200) -> str:
    """What a console of `recording_console` writes for `renderable`."""
    console = recording_console(terminal, width)
    console.print(renderable)
    return written(console)


def assert_clean(output: str) -> str:
    """No escape code but Rich's colours, no control or format character of the hostile text, nothing drawn in
    its markup's bold green. Returns the output without colours, its whitespace collapsed."""
    plain = SGR.sub("", output)
    for char in FORBIDDEN:
        assert char not in plain, f"{char!r} reached the screen: {plain!r}"
    assert BOLD_GREEN not in output, "the hostile markup was drawn in bold green"
    return " ".join(plain.split())


def assert_inert(output: str, whole: bool = True) -> str:
    """`assert_clean`, and the hostile markup printed as written (`whole`: the speedup and the emoji code too,
    where the view does not cut the text). Returns the output without colours, its whitespace collapsed."""
    flat = assert_clean(output)
    assert "[bold green]correct[/]" in flat, flat
    if whole:
        assert "[bold]42.00x[/]" in flat and ":white_check_mark:" in flat, flat
    return flat
