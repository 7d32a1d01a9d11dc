"""The provider registry: `openai` (any OpenAI-compatible endpoint), `examples` (offline replay) and
`local:PATH` (a model folder run with transformers)."""

from __future__ import annotations

from kernelwright.agent.providers.base import (
    ChatMessage,
    Completion,
    CompletionContext,
    MissingApiKey,
    Provider,
    ProviderConfig,
    ProviderError,
)
from kernelwright.agent.providers.examples import ExamplesProvider
from kernelwright.agent.providers.local import LocalProvider
from kernelwright.agent.providers.openai_chat import OpenAIProvider

PROVIDERS: dict[str, type[Provider]] = {"openai": OpenAIProvider, "examples": ExamplesProvider,
                                        "local": LocalProvider}


def get_provider(config: ProviderConfig) -> Provider:
    """The provider named by `config.name`; `NAME:ARG` (e.g. `local:PATH`) also sets the model to ARG."""
    name, _, arg = config.name.partition(":")
    if arg:
        config = config.model_copy(update={"name": name, "model": arg})
    try:
        cls = PROVIDERS[config.name]
    except KeyError:
        raise ProviderError(f"unknown provider {config.name!r}; available: {', '.join(sorted(PROVIDERS))}") from None
    return cls(config)


__all__ = ["PROVIDERS", "ChatMessage", "Completion", "CompletionContext", "MissingApiKey", "Provider",
           "ProviderConfig", "ProviderError", "get_provider"]
