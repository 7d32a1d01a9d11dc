"""What every LLM provider offers the search: one chat completion, with its tokens, latency and cost."""

from __future__ import annotations

from abc import ABC, abstractmethod

from pydantic import BaseModel, Field, model_validator

from kernelwright.tasks.model import Task


class ProviderError(RuntimeError):
    """The provider cannot serve requests; the message says what to do.

    `fatal` errors (missing key, endpoint down, request refused) end the run; the others (retries spent on
    429/5xx) end only the turn they happened in.
    """

    def __init__(self, message: str, fatal: bool = True) -> None:
        super().__init__(message)
        self.fatal = fatal


class MissingApiKey(ProviderError):
    """No API key in the variable `env` for the endpoint at `base_url` (not on this machine). Each door (the
    command line, the HTTP service) words its own advice from these fields; the message is the command line's."""

    def __init__(self, message: str, env: str, base_url: str) -> None:
        super().__init__(message)
        self.env, self.base_url = env, base_url


class ChatMessage(BaseModel):
    role: str
    content: str


class CompletionContext(BaseModel):
    """What the request is for; real LLMs ignore it, the offline `examples` provider needs it."""

    task: Task
    platform: str
    trajectory: int = 0
    turn: int = 0


class Completion(BaseModel):
    """One reply with its accounting."""

    text: str
    reasoning: str | None = None
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    cost_usd: float = 0.0
    retries: int = 0


class ProviderConfig(BaseModel):
    """How to reach a provider; the API key itself is read from the environment variable `api_key_env`."""

    name: str = "openai"
    model: str = "gpt-4o-mini"
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float = Field(default=0.7, ge=0, le=2)
    max_tokens: int = Field(default=8192, ge=1)
    timeout_s: float = Field(default=300.0, gt=0)
    max_retries: int = Field(default=4, ge=0)
    backoff_s: float = Field(default=1.0, ge=0, description="first retry delay; doubles each retry")
    stream: bool = False
    price_in_per_mtok: float = Field(default=0.0, ge=0, description="USD per million prompt tokens")
    price_out_per_mtok: float = Field(default=0.0, ge=0, description="USD per million completion tokens")

    @model_validator(mode="after")
    def _model_named_by_provider(self) -> ProviderConfig:
        # The stored model is the one that answers: `local:PATH` is the checkpoint PATH, and the offline
        # `examples` replay is never mistaken for a model.
        name, _, arg = self.name.partition(":")
        if name == "examples":
            self.model = "examples"
        elif arg:
            self.model = arg
        return self


class Provider(ABC):
    """A source of replies. `label` is what the CLI and stored runs show, so offline replays are never
    mistaken for a model."""

    name: str
    offline: bool = False

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    @property
    def label(self) -> str:
        return f"{self.name}:{self.config.model}"

    @abstractmethod
    async def check(self) -> None:
        """Fail fast, before a run starts, with a `ProviderError` that says what to set."""

    @abstractmethod
    async def complete(self, messages: list[ChatMessage], context: CompletionContext) -> Completion:
        """One chat completion; raises `ProviderError` once retries are spent."""

    def cannot_answer(self, task: Task, platform: str) -> str | None:
        """Why this provider cannot answer prompts for `task` on `platform` at all; None when it can."""
        return None

    async def close(self) -> None:  # noqa: B027 - providers without connections have nothing to close
        """Release connections."""
