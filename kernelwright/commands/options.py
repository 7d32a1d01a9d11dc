"""Command-line options that several commands share, declared once, and the run-config keys they set."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from kernelwright.evaluator.result import ToleranceMode

# The registry's names, spelled here so that every command's options do not import the providers (and the OpenAI
# client with them: half a second of every `eval`); tests/agent checks the two agree.
PROVIDER_NAMES = ("openai", "examples", "local")

Platform = Annotated[str, typer.Option(help="target platform")]
ProviderName = Annotated[str, typer.Option("--provider", help=f"LLM provider: {', '.join(PROVIDER_NAMES)} (examples = "
                                           "offline replay of the suite's example solutions)")]
Model = Annotated[str, typer.Option(help="model name at the endpoint")]
BaseUrl = Annotated[str | None, typer.Option(help="OpenAI-compatible endpoint (default: $OPENAI_BASE_URL or "
                                             "api.openai.com)")]
ApiKeyEnv = Annotated[str, typer.Option(help="environment variable holding the API key")]
Temperature = Annotated[float, typer.Option(help="sampling temperature")]
MaxTokens = Annotated[int, typer.Option(help="max tokens per reply")]
Stream = Annotated[bool, typer.Option(help="stream replies")]
PriceIn = Annotated[float, typer.Option(help="USD per million prompt tokens, for cost accounting")]
PriceOut = Annotated[float, typer.Option(help="USD per million completion tokens")]
Patience = Annotated[int, typer.Option(help="stop a trajectory after this many turns without a new best")]
MaxFailures = Annotated[int, typer.Option(help="stop a trajectory after this many failed turns in a row")]
Workers = Annotated[int | None, typer.Option(help="evaluator actors in all (default: per node, one per two of its "
                                                  "CPUs, or one per GPU on GPU platforms)")]
RayAddress = Annotated[str | None, typer.Option(help="join an existing Ray cluster (default: start one locally)")]
AllowTorch = Annotated[bool, typer.Option("--allow-torch", help="the track where calling PyTorch is allowed")]
Threads = Annotated[int | None, typer.Option(help="threads for both sides (default: half the cores)")]
Trials = Annotated[int, typer.Option(help="correctness trials per evaluation")]
Timeout = Annotated[float, typer.Option(help="wall-clock limit per evaluation, seconds")]
Seed = Annotated[int, typer.Option(help="seed for exemplar sampling")]
ToleranceOpt = Annotated[ToleranceMode, typer.Option(help="task: each task's own tolerance (strict, 1e-4); "
                                                   "kernelbench: KernelBench's atol=rtol=1e-2, for scores set beside "
                                                   "its published numbers (every result says which)")]
Strategy = Annotated[str, typer.Option(help="search strategy: parallel (N trajectories x T turns), evolution "
                                       "(islands of a program database) or tree (best-first over attempts); every "
                                       "one spends the same N x T model calls per task")]
DbUrl = Annotated[str | None, typer.Option(help="store URL (default: $KERNELWRIGHT_DB_URL or SQLite)")]
# Filters of the task set (`bench`, `tasks list`).
Category = Annotated[str | None, typer.Option(help="only this category")]
Level = Annotated[int | None, typer.Option(help="only this level (1-3)")]


def json_flag(text: str) -> Any:
    """`--json`, its help `text` saying what the command prints as JSON (`Annotated[bool, json_flag(...)]`)."""
    return typer.Option("--json", help=text)


# `optimize` and `port` (one task's search).
Trajectories = Annotated[int, typer.Option(help="parallel trajectories (islands, tree workers)")]
Turns = Annotated[int, typer.Option(help="refinement turns per trajectory")]
OutFile = Annotated[Path | None, typer.Option("--out", help="write the best verified kernel here (a port: the "
                                             "fastest correct one, verified faster or not)")]
SweepAnswer = Annotated[bool, typer.Option("--sweep", help="judge the answer over its task's shape sweep at the end")]
ExportDir = Annotated[Path | None, typer.Option("--export", help="export the answer as a pip-installable package to "
                                                "this folder at the end (sweeps it first)")]
FromPlatform = Annotated[str | None, typer.Option("--from-platform", help="the platform a starting-kernel file was "
                                                  "written for (default: the one its name says, relu.cuda.py: cuda)")]
AsJson = Annotated[bool, json_flag("no live view; print the summary as JSON")]

# Where the shared options land in a run configuration (`configs/*.yaml` use the same keys).
RUN_KEYS = {
    "platform": "platform", "provider": "provider.name", "model": "provider.model",
    "base_url": "provider.base_url", "api_key_env": "provider.api_key_env",
    "temperature": "provider.temperature", "max_tokens": "provider.max_tokens", "stream": "provider.stream",
    "price_in": "provider.price_in_per_mtok", "price_out": "provider.price_out_per_mtok",
    "strategy": "search.strategy", "patience": "search.patience", "max_failures": "search.max_failures",
    "seed": "search.seed",
    "allow_torch": "eval.allow_torch", "threads": "eval.threads", "trials": "eval.correctness_trials",
    "timeout": "eval.timeout_s", "tolerance": "eval.tolerance", "workers": "cluster.workers",
    "ray_address": "cluster.address",
}
