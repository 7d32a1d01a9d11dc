"""`openai`: the official `openai` client against any OpenAI-compatible endpoint (OpenAI, vLLM, SGLang, Ollama).

Retries are ours, not the client's: we back off on 429 and 5xx (honouring `Retry-After`) and on dropped
connections, count the retries, and give up with a message that names the endpoint. Other 4xx errors (bad
key, unknown model) are not retried: they will not fix themselves.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from typing import Any
from urllib.parse import urlparse

import openai
from openai import AsyncOpenAI

from kernelwright.agent.providers.base import (
    ChatMessage,
    Completion,
    CompletionContext,
    MissingApiKey,
    Provider,
    ProviderConfig,
    ProviderError,
)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
CHECK_TIMEOUT_S = 10.0


def _is_local(url: str) -> bool:
    return (urlparse(url).hostname or "") in ("localhost", "127.0.0.1", "::1")


def _retry_after(exc: openai.APIStatusError) -> float | None:
    value = exc.response.headers.get("retry-after") if exc.response is not None else None
    try:
        return None if value is None else max(0.0, float(value))
    except ValueError:
        return None


def _reasoning(obj: Any) -> str | None:
    """vLLM, SGLang and DeepSeek put chain-of-thought in `reasoning_content` (or `reasoning`)."""
    extra = getattr(obj, "model_extra", None) or {}
    value = extra.get("reasoning_content") or extra.get("reasoning")
    return value if isinstance(value, str) and value else None


class OpenAIProvider(Provider):
    """Chat completions over the OpenAI API."""

    name = "openai"

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        self.base_url = config.base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        key = os.environ.get(config.api_key_env)
        if not key:
            if not _is_local(self.base_url):
                # What works for any operator: a key, or another endpoint. `examples` only replays the suite's
                # shipped solutions, so it is offered for suite tasks only.
                raise MissingApiKey(
                    f"no API key: set {config.api_key_env} (or name another variable with --api-key-env NAME) for "
                    f"{self.base_url}, or give --base-url of an OpenAI-compatible server (vLLM, SGLang or Ollama "
                    "on this machine need no key); a suite task can also run offline with --provider examples",
                    config.api_key_env, self.base_url)
            key = "unused-by-local-servers"  # vLLM/Ollama on localhost accept any key
        self._key = key
        self._clients: dict[asyncio.AbstractEventLoop, AsyncOpenAI] = {}

    @property
    def client(self) -> AsyncOpenAI:
        """This event loop's client. A client's pooled keep-alive connections belong to the loop that opened them:
        the endpoint check and the run are two `asyncio.run`s, and reusing the check's connection in the run
        crashed the first completion ("Event loop is closed") against every keep-alive server."""
        loop = asyncio.get_running_loop()
        for other in [other for other in self._clients if other is not loop and other.is_closed()]:
            del self._clients[other]  # its connections died with their loop
        if loop not in self._clients:
            # max_retries=0: the client's own retries would hide 429s from our accounting and backoff.
            self._clients[loop] = AsyncOpenAI(api_key=self._key, base_url=self.base_url,
                                              timeout=self.config.timeout_s, max_retries=0)
        return self._clients[loop]

    async def check(self) -> None:
        """The endpoint answers `/models` (a 404 there still proves it is up)."""
        try:
            await self.client.models.list(timeout=CHECK_TIMEOUT_S)
        except openai.AuthenticationError as exc:
            raise ProviderError(f"{self.base_url} refused the API key in {self.config.api_key_env}: "
                                f"{exc.message}") from exc
        except openai.NotFoundError:
            return
        except (openai.APIConnectionError, openai.APITimeoutError) as exc:
            raise ProviderError(f"cannot reach {self.base_url} ({type(exc).__name__}); check --base-url "
                                "(or OPENAI_BASE_URL) and that the server is running") from exc
        except openai.APIStatusError as exc:
            if exc.status_code >= 500:
                raise ProviderError(f"{self.base_url} answered {exc.status_code} to /models") from exc

    async def complete(self, messages: list[ChatMessage], context: CompletionContext) -> Completion:
        cfg = self.config
        retries = 0
        while True:
            start = time.perf_counter()
            try:
                if cfg.stream:
                    text, reasoning, usage, model = await self._stream(messages)
                else:
                    text, reasoning, usage, model = await self._once(messages)
                break
            except (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError) as exc:
                delay = _retry_after(exc) if isinstance(exc, openai.APIStatusError) else None
                problem = f"{type(exc).__name__}: {getattr(exc, 'message', exc)}"
            except openai.APIStatusError as exc:
                if exc.status_code < 500:
                    raise ProviderError(f"{self.base_url} rejected the request ({exc.status_code}): "
                                        f"{exc.message}") from exc
                delay, problem = _retry_after(exc), f"HTTP {exc.status_code}: {exc.message}"
            if retries >= cfg.max_retries:
                raise ProviderError(f"{self.base_url}: gave up after {retries + 1} attempts ({problem})", fatal=False)
            retries += 1
            # Exponential backoff with jitter, so parallel trajectories don't retry in lockstep.
            wait = delay if delay is not None else cfg.backoff_s * 2 ** (retries - 1) * (0.5 + random.random())
            await asyncio.sleep(wait)
        prompt_tokens, completion_tokens = usage
        cost = (prompt_tokens * cfg.price_in_per_mtok + completion_tokens * cfg.price_out_per_mtok) / 1e6
        return Completion(text=text, reasoning=reasoning, model=model or cfg.model, prompt_tokens=prompt_tokens,
                          completion_tokens=completion_tokens, latency_s=time.perf_counter() - start,
                          cost_usd=cost, retries=retries)

    def _request(self, messages: list[ChatMessage]) -> dict[str, Any]:
        return dict(model=self.config.model, messages=[m.model_dump() for m in messages],
                    temperature=self.config.temperature, max_tokens=self.config.max_tokens)

    async def _once(self, messages: list[ChatMessage]) -> tuple[str, str | None, tuple[int, int], str]:
        response = await self.client.chat.completions.create(**self._request(messages))
        if not response.choices:
            raise ProviderError(f"{self.base_url} returned no choices")
        message = response.choices[0].message
        usage = response.usage
        tokens = (usage.prompt_tokens or 0, usage.completion_tokens or 0) if usage else (0, 0)
        return message.content or "", _reasoning(message), tokens, response.model

    async def _stream(self, messages: list[ChatMessage]) -> tuple[str, str | None, tuple[int, int], str]:
        stream = await self.client.chat.completions.create(
            **self._request(messages), stream=True, stream_options={"include_usage": True})
        text: list[str] = []
        thoughts: list[str] = []
        tokens, model = (0, 0), ""
        async for chunk in stream:
            model = chunk.model or model
            if chunk.usage is not None:
                tokens = (chunk.usage.prompt_tokens or 0, chunk.usage.completion_tokens or 0)
            for choice in chunk.choices:
                text.append(choice.delta.content or "")
                thoughts.append(_reasoning(choice.delta) or "")
        return "".join(text), "".join(thoughts) or None, tokens, model

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        client = self._clients.pop(loop, None)
        if client is not None:
            await client.close()
