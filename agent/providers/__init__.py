"""The provider registry: `openai` (any OpenAI-compatible endpoint) and `examples` (offline replay)."""

from __future__ import annotations

from agent.providers.base import (
    ChatMessage,
    Completion,
    CompletionContext,
    Provider,
    ProviderConfig,
    ProviderError,
)
from agent.providers.examples import ExamplesProvider
from agent.providers.openai_chat import OpenAIProvider

PROVIDERS: dict[str, type[Provider]] = {"openai": OpenAIProvider, "examples": ExamplesProvider}


def get_provider(config: ProviderConfig) -> Provider:
    """The provider named by `config.name`."""
    try:
        cls = PROVIDERS[config.name]
    except KeyError:
        raise ProviderError(f"unknown provider {config.name!r}; available: {', '.join(sorted(PROVIDERS))}") from None
    return cls(config)


__all__ = ["PROVIDERS", "ChatMessage", "Completion", "CompletionContext", "Provider", "ProviderConfig",
           "ProviderError", "get_provider"]
