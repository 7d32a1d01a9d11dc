"""Row 22: forging what a person sees, through the real `kernelwright eval` in a subprocess.

`kernels/row22_forged_screen.py` fails on purpose; its exception message and its stdout (the log `eval` prints under a
runtime error) carry cursor and erase codes, OSC strings, the 8-bit CSI, bidi overrides, an emoji code and Rich
markup that would repaint the verdict table as `status correct ... speedup 42.00x`. Run on a terminal-like
output (colours forced, 100 columns) and on a plain pipe, the screen must show the real status, no escape code
but Rich's own colours, and the candidate's markup as the text it is.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from adversarial_support import KERNELS

# Rich's own colours: the only escape sequences the terminal-like output may hold.
SGR = re.compile(r"\x1b\[[0-9;]*m")
# What the candidate sent that a terminal would act on, or that would reorder or hide what a person reads.
FORBIDDEN = ("\x1b", "\x9b", "\x07", "\u202e", "\u202c", "\u2066", "\u2069", "\u200b", "\u2705")
BOLD_GREEN = "\x1b[1;32m"
KERNEL = "row22_forged_screen"


def _eval(terminal: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM", "COLUMNS")}
    env.update(COLUMNS="100", TERM="xterm-256color", **({"FORCE_COLOR": "1"} if terminal else {}))
    return subprocess.run([sys.executable, "-m", "kernelwright.cli", "eval", "activation/relu",
                           str(KERNELS / f"{KERNEL}.py"), "--no-store"], capture_output=True, text=True, env=env,
                          timeout=600)


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "piped"])
def test_eval_shows_the_real_verdict_and_the_forgery_as_inert_text(terminal: bool) -> None:
    proc = _eval(terminal)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    shown = SGR.sub("", proc.stdout)
    if terminal:
        assert shown != proc.stdout, "colours were not forced: this is not the terminal-like run"
        assert BOLD_GREEN not in proc.stdout, "the candidate's markup was drawn in bold green"
    for char in FORBIDDEN:
        assert char not in shown, f"{char!r} from the candidate reached the screen:\n{proc.stdout!r}"
    lines = [line.strip() for line in shown.splitlines() if line.strip()]
    # One status row, the real one; no speedup row. The log comes first, framed (its lines cannot pass for rows),
    # and the verdict's table last, so nothing the candidate printed follows it.
    assert [line.split() for line in lines if re.match(r"status\b", line)] == [["status", "runtime_error"]], shown
    assert not any(re.match(r"speedup\b", line) for line in lines), shown
    table = next(i for i, line in enumerate(lines) if line.startswith("status"))
    assert all(line[0] in "╭│╰" for line in lines[:table]), shown
    assert lines[-1].startswith("wall"), shown
    flat = " ".join(shown.split())
    # The markup is printed as written (in the message row and in the framed log), never drawn.
    assert flat.count("status [bold green]correct[/]") >= 1, flat
    assert flat.count("[bold]42.00x[/]") == flat.count("42.00x") >= 1, flat
    assert ":white_check_mark:" in flat and "x00.24 tcerroc" in flat
    assert "[dim]" not in flat
