"""Providers against a real loopback HTTP server: non-streaming, streaming, retries, fail-fast errors."""

from __future__ import annotations

import asyncio
import socket

import pytest
from fake_openai import FakeOpenAI, Reply

from kernelwright.agent.providers import (
    PROVIDERS,
    ChatMessage,
    CompletionContext,
    ProviderConfig,
    ProviderError,
    get_provider,
)
from kernelwright.agent.providers.examples import ExamplesProvider
from kernelwright.commands.options import PROVIDER_NAMES
from kernelwright.tasks.registry import resolve_task

MESSAGES = [ChatMessage(role="system", content="be fast"), ChatMessage(role="user", content="write relu")]


@pytest.fixture(scope="module")
def context() -> CompletionContext:
    return CompletionContext(task=resolve_task("activation/relu"), platform="cpu")


def _provider(url: str, **overrides: object):  # type: ignore[no-untyped-def]
    config = ProviderConfig(name="openai", model="fake-coder", base_url=url, backoff_s=0.01,
                            price_in_per_mtok=2.0, price_out_per_mtok=8.0, **overrides)  # type: ignore[arg-type]
    return get_provider(config)


def _complete(provider, context):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        try:
            await provider.check()
            return await provider.complete(MESSAGES, context)
        finally:
            await provider.close()

    return asyncio.run(go())


@pytest.mark.parametrize("stream", [False, True])
def test_completion_with_usage_cost_and_reasoning(stream: bool, context: CompletionContext) -> None:
    text = "Here it is.\n```python\nclass ModelNew: ...\n```\n" * 3
    with FakeOpenAI([Reply(text=text, reasoning="vectorize the loop")]) as server:
        completion = _complete(_provider(server.base_url, stream=stream), context)
        request = server.requests[0]
    assert completion.text == text
    assert completion.reasoning == "vectorize the loop"
    assert completion.model == "fake-coder" and completion.retries == 0
    assert completion.prompt_tokens > 0 and completion.completion_tokens == len(text) // 4
    expected = (completion.prompt_tokens * 2.0 + completion.completion_tokens * 8.0) / 1e6
    assert completion.cost_usd == pytest.approx(expected)
    assert request["model"] == "fake-coder" and request["messages"][1]["content"] == "write relu"
    assert bool(request.get("stream")) is stream


def test_the_endpoint_check_and_the_run_may_use_different_event_loops(context: CompletionContext) -> None:
    # The CLI checks the endpoint under one asyncio.run and runs the search under another. A keep-alive server (as
    # uvicorn, vLLM and llama.cpp's are) left the check's connection open for reuse, and the first completion
    # crashed with "Event loop is closed" (seen against llama-cpp-python's server).
    with FakeOpenAI([Reply(text="first"), Reply(text="second")]) as server:
        provider = _provider(server.base_url)
        asyncio.run(provider.check())
        first = asyncio.run(provider.complete(MESSAGES, context))
        second = asyncio.run(provider.complete(MESSAGES, context))
        asyncio.run(provider.close())
    assert (first.text, second.text) == ("first", "second")


def test_429_and_5xx_are_retried_with_backoff(context: CompletionContext) -> None:
    script = [Reply(status=429, retry_after=0.05), Reply(status=503), Reply(text="finally")]
    with FakeOpenAI(script) as server:
        completion = _complete(_provider(server.base_url), context)
        assert len(server.requests) == 3
    assert completion.text == "finally" and completion.retries == 2


def test_retries_run_out_with_a_turn_level_error(context: CompletionContext) -> None:
    with FakeOpenAI([Reply(status=500)] * 3) as server:
        with pytest.raises(ProviderError, match="gave up after 3 attempts") as info:
            _complete(_provider(server.base_url, max_retries=2), context)
    assert not info.value.fatal


def test_a_bad_request_is_not_retried(context: CompletionContext) -> None:
    with FakeOpenAI([Reply(status=400), Reply(text="never sent")]) as server:
        with pytest.raises(ProviderError, match="rejected the request \\(400\\)") as info:
            _complete(_provider(server.base_url), context)
        assert len(server.requests) == 1
    assert info.value.fatal


def test_unreachable_endpoint_fails_fast(context: CompletionContext) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ProviderError, match=f"cannot reach http://127.0.0.1:{port}/v1.*--base-url"):
        _complete(_provider(f"http://127.0.0.1:{port}/v1"), context)


def test_missing_key_for_a_remote_endpoint_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KW_TEST_KEY", raising=False)
    with pytest.raises(ProviderError, match="set KW_TEST_KEY"):
        get_provider(ProviderConfig(name="openai", base_url="https://api.example.com/v1", api_key_env="KW_TEST_KEY"))


def test_unknown_provider() -> None:
    with pytest.raises(ProviderError, match="available: examples, local, openai"):
        get_provider(ProviderConfig(name="nope"))


def test_the_cli_names_every_provider_without_importing_them() -> None:
    assert sorted(PROVIDER_NAMES) == sorted(PROVIDERS)


def test_examples_provider_replays_the_suite_example(context: CompletionContext) -> None:
    provider = ExamplesProvider(ProviderConfig(name="examples", model="examples"))
    assert provider.offline and "not an LLM" in provider.label
    completion = _complete(provider, context)
    assert "class ModelNew" in completion.text and completion.cost_usd == 0.0


def test_examples_provider_without_an_example_replies_without_code(context: CompletionContext) -> None:
    task = context.task.model_copy(update={"id": "user/other", "path": None, "source_hash": "0" * 64})
    provider = ExamplesProvider(ProviderConfig(name="examples", model="examples"))
    completion = _complete(provider, CompletionContext(task=task, platform="cpu"))
    assert "```" not in completion.text and "no cpu example" in completion.text
