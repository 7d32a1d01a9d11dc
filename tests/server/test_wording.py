"""Advice that fits its door: the command line's no-key message works for an operator outside the suite (a key or
another endpoint; `examples` for suite tasks only), and messages written for the command line name the API's
fields and endpoints when the HTTP service answers with them."""

from __future__ import annotations

import pytest

from kernelwright.agent.providers import MissingApiKey, ProviderConfig, get_provider
from kernelwright.server.wording import for_http, no_key_advice


def test_the_command_lines_no_key_message_offers_the_endpoint_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MY_KEY", raising=False)
    with pytest.raises(MissingApiKey) as caught:
        get_provider(ProviderConfig(name="openai", base_url="https://llm.example.org/v1", api_key_env="MY_KEY"))
    message = str(caught.value)
    assert "set MY_KEY" in message and "--api-key-env NAME" in message and "--base-url" in message
    assert "a suite task can also run offline with --provider examples" in message
    assert (caught.value.env, caught.value.base_url) == ("MY_KEY", "https://llm.example.org/v1")


def test_command_line_words_become_api_words() -> None:
    examples = ("no shipped example for user/op on cpu: the examples provider only replays the suite's example "
                "solutions (use a model, e.g. --provider openai)")
    assert for_http(examples).endswith('(use a model, e.g. "provider": "openai")')
    assert for_http("no such task file, suite id or imported id (see `kernelwright tasks list`)").endswith(
        "imported id (see GET /v1/tasks)")
    reach = for_http("cannot reach http://h/v1; check --base-url (or OPENAI_BASE_URL) and --turns")
    assert "KERNELWRIGHT_SERVE_BASE_URL" in reach and '"turns"' in reach and "--" not in reach


def test_no_key_advice_offers_examples_only_where_it_works() -> None:
    exc = MissingApiKey("no API key", "OPENAI_API_KEY", "https://api.openai.com/v1")
    assert '"provider": "examples"' in no_key_advice(exc, ["openai", "examples"], suite_task=True)
    assert "examples" not in no_key_advice(exc, ["openai", "examples"], suite_task=False)
    assert "examples" not in no_key_advice(exc, ["openai"], suite_task=True)
