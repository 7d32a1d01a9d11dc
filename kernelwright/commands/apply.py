"""`kernelwright apply PACKAGE MODEL_FILE`: an exported kernel inside a whole model, end to end.

The work is the package's own `python -m <package>.apply` (agent/export/package_apply.py, shipped in every
package): it runs the kernel, so it runs in a process of its own, with the interpreter the package is installed in
(`--python`), never inside Kernelwright. What it prints is a measurement on this machine, not a verified verdict.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from kernelwright.commands import options as opt
from kernelwright.console import fail, out
from kernelwright.views.safe_text import untrusted


def apply_cmd(
    package: Annotated[str, typer.Argument(help="an installed exported package (its import name, e.g. kw_relu)")],
    model_file: Annotated[Path, typer.Argument(help="a file defining get_model() or Model, and get_inputs()")],
    module: Annotated[list[str] | None, typer.Option("--module", help="a submodule to swap (repeatable; default: "
                                                     "every one whose forward is the task's)")] = None,
    rounds: Annotated[int, typer.Option("--rounds", help="interleaved timing rounds")] = 15,
    python: Annotated[Path | None, typer.Option("--python", help="the interpreter the package is installed in "
                                                "(default: this one)")] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="seconds before it is stopped")] = 1800.0,
    as_json: Annotated[bool, opt.json_flag("print the result as JSON")] = False,
) -> None:
    """Swap an installed package's op into a model: check its outputs, time it end to end beside the kernel alone."""
    if not package.isidentifier():
        raise fail(f"{package!r} is not a package name", as_json)
    if not model_file.is_file():
        raise fail(f"no model file {model_file}", as_json)
    args = [str(python or sys.executable), "-m", f"{package}.apply", str(model_file.resolve()), "--rounds",
            str(max(rounds, 1)), *(a for name in module or [] for a in ("--module", name))]
    try:
        proc = subprocess.run([*args, *(["--json"] if as_json else [])], capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise fail(f"{package}.apply ran past {timeout:.0f} s", as_json) from exc
    if as_json:
        print(proc.stdout.strip() or "null")
    else:
        # The package's output holds its kernel's words and the model file's names: text, never markup.
        out.print(untrusted(proc.stdout.rstrip()))
        out.print("measured in the package's own process on this machine (not a verified verdict)", highlight=False)
    if proc.returncode != 0:
        if proc.stderr.strip():
            sys.stderr.write(proc.stderr[-4000:])
        raise typer.Exit(code=proc.returncode or 1)
