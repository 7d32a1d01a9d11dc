"""`kernelwright traces export`: training datasets (SFT, OpenAI fine-tuning, GRPO prompts) from the store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kernelwright.commands import options as opt
from kernelwright.console import fail as _fail
from kernelwright.console import out
from kernelwright.db import Store
from kernelwright.rl.curation import CurationConfig
from kernelwright.rl.export import ExportFormat, ExportOptions, ExportResult, export_dataset
from kernelwright.settings import Settings

app = typer.Typer(help="Training data from stored traces.", no_args_is_help=True)


def _report_table(result: ExportResult) -> Table:
    table = Table(title=f"{result.records} {result.format.value} records -> {result.path}")
    table.add_column("category")
    table.add_column("records", justify="right")
    for category, count in result.report.categories.items():
        table.add_row(category, str(count))
    return table


def _dropped(result: ExportResult, min_speedup: float) -> str:
    """What each curation rule left out, in words (one line under the table)."""
    report = result.report
    slow = "" if result.format is ExportFormat.grpo else (
        f"{report.not_faster} correct but not verified faster than {min_speedup:g}x (their speedup's interval does "
        "not lie above it; --min-speedup lowers the bar), ")
    return (f"{report.judged} judged turns; dropped: {report.not_correct} not correct, {slow}{report.held_out} held "
            f"out, {report.duplicates} duplicates, {report.beyond_top_k} beyond top-k")


@app.command("export")
def export_cmd(
    format: Annotated[ExportFormat, typer.Option("--format", help="sft: curated chat records with provenance; "
                                                 "openai: the same as {'messages'} only; grpo: one prompt per task")],
    out_path: Annotated[Path, typer.Option("--out", help="JSONL file to write")],
    hf: Annotated[Path | None, typer.Option(help="also save a Hugging Face `datasets` folder here "
                                            "(needs the train extra)")] = None,
    top_k: Annotated[int, typer.Option(help="fastest distinct kernels kept per task")] = 2,
    min_speedup: Annotated[float, typer.Option(
        help="keep a correct kernel only when its speedup's 95% interval lies above this; the default 1.0 keeps "
             "kernels verified faster than eager, lower it to keep slower ones too (0: every timed correct kernel); "
             "the output says how many it left out")] = 1.0,
    platform: Annotated[str | None, typer.Option(help="only evaluations on this platform")] = None,
    as_json: Annotated[bool, opt.json_flag("print the export report as JSON")] = False,
    db_url: opt.DbUrl = None,
) -> None:
    """Write a dataset: correct kernels verified faster (see --min-speedup), fastest per task, shortest
    reasoning, deduplicated, no held-out."""
    if top_k < 1:
        raise _fail("--top-k must be at least 1", as_json)
    store = Store(db_url or Settings().db_url)
    try:
        options = ExportOptions(format=format, out=out_path, hf_dir=hf,
                                curation=CurationConfig(top_k=top_k, min_speedup=min_speedup, platform=platform))
        try:
            result = export_dataset(store, options)
        except ImportError as exc:
            raise _fail(f"--hf needs the `datasets` package: {exc}", as_json) from exc
    finally:
        store.close()
    if as_json:
        print(json.dumps(result.model_dump(mode="json")))
        return
    out.print(_report_table(result))
    out.print(_dropped(result, min_speedup), soft_wrap=True, highlight=False)
    if result.records == 0 and result.report.not_faster:
        out.print(f"no records: {result.report.not_faster} correct kernels were left out as not verified faster than "
                  f"{min_speedup:g}x; --min-speedup 0 keeps every timed correct kernel, slower ones too",
                  soft_wrap=True, highlight=False)
    elif result.records == 0:
        out.print("no records: the store has no correct kernels of non-held-out tasks yet (run optimize or bench)")
