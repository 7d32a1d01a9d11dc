"""Command-line options that `optimize` and `bench` share, declared once."""

from __future__ import annotations

from typing import Annotated

import typer

from agent.providers import PROVIDERS, ProviderConfig
from evaluator import EvalOptions

Platform = Annotated[str, typer.Option(help="target platform")]
ProviderName = Annotated[str, typer.Option("--provider", help=f"LLM provider: {', '.join(PROVIDERS)} (examples = "
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
Workers = Annotated[int | None, typer.Option(help="evaluator actors on CPU (default: one per two cores)")]
RayAddress = Annotated[str | None, typer.Option(help="join an existing Ray cluster (default: start one locally)")]
AllowTorch = Annotated[bool, typer.Option("--allow-torch", help="the track where calling PyTorch is allowed")]
Threads = Annotated[int | None, typer.Option(help="threads for both sides (default: half the cores)")]
Trials = Annotated[int, typer.Option(help="correctness trials per evaluation")]
Timeout = Annotated[float, typer.Option(help="wall-clock limit per evaluation, seconds")]
Seed = Annotated[int, typer.Option(help="seed for exemplar sampling")]
DbUrl = Annotated[str | None, typer.Option(help="store URL (default: $KERNELWRIGHT_DB_URL or SQLite)")]


def provider_config(provider: str, model: str, base_url: str | None, api_key_env: str, temperature: float,
                    max_tokens: int, stream: bool, price_in: float, price_out: float) -> ProviderConfig:
    """The provider settings the shared options describe: `NAME:ARG` names the model ARG (`local:PATH`), and
    the offline `examples` provider has no model."""
    name, _, arg = provider.partition(":")
    model = "examples" if name == "examples" else arg or model
    return ProviderConfig(name=provider, model=model, base_url=base_url,
                          api_key_env=api_key_env, temperature=temperature, max_tokens=max_tokens, stream=stream,
                          price_in_per_mtok=price_in, price_out_per_mtok=price_out)


def eval_options(allow_torch: bool, threads: int | None, trials: int, timeout: float, **extra: object) -> EvalOptions:
    """The evaluator options the shared options describe."""
    return EvalOptions(allow_torch=allow_torch, threads=threads, correctness_trials=trials, timeout_s=timeout,
                       **extra)  # type: ignore[arg-type]
