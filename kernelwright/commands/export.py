"""`kernelwright export KERNEL_ID|RUN_ID... --out DIR`: a verified kernel as a pip-installable custom-op package."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from kernelwright.agent.export.collect import collect_kernels
from kernelwright.agent.export.package import export_package
from kernelwright.agent.export.sources import ExportError
from kernelwright.agent.sweep import SweepError
from kernelwright.commands import options as opt
from kernelwright.console import err, fail, out
from kernelwright.db import Store
from kernelwright.evaluator.result import EvalResult
from kernelwright.settings import Settings
from kernelwright.tasks.errors import TaskLoadError
from kernelwright.tasks.sweep import SweepPoint
from kernelwright.views.safe_text import untrusted


def export_cmd(
    refs: Annotated[list[str], typer.Argument(help="kernel ids, or run ids (a run gives its answer); one per device "
                                              "type, all of one task", metavar="KERNEL_ID|RUN_ID...")],
    out_dir: Annotated[Path, typer.Option("--out", help="an empty or new folder for the package")],
    name: Annotated[str | None, typer.Option("--name", help="Python package name (default: kw_<task>)")] = None,
    shapes: Annotated[int, typer.Option("--shapes", help="sweep points for a kernel never swept")] = 8,
    as_json: Annotated[bool, opt.json_flag("print what was written as JSON")] = False,
    db_url: opt.DbUrl = None,
) -> None:
    """Write a pip-installable package registering the kernel as a torch custom op, with dispatch and fallback."""
    store = Store(db_url or Settings().db_url)

    def swept(point: SweepPoint, result: EvalResult) -> None:
        if not as_json:
            err.print(untrusted(f"sweep {point.label}: {result.status.value}"))

    try:
        kernels = collect_kernels(store, refs, sweep_limit=shapes, on_point=swept)
        written = export_package(kernels, out_dir, name)
    except (ExportError, SweepError, TaskLoadError) as exc:
        raise fail(str(exc), as_json) from exc
    if as_json:
        print(json.dumps(written.model_dump(mode="json")))
        return
    out.print(untrusted(f"wrote {written.package} to {written.path} (torch.ops.{written.package}.{written.op} on "
                        f"{', '.join(written.devices)}); install and check it with:\n"
                        f"  pip install --no-build-isolation \"{written.path}[test]\"\n"
                        f"  (cd {written.path} && python -m pytest)\n"
                        f"  python -m {written.package}.check   # faster than the reference on this machine?"))
