"""The provider settings a run stores name the model that answers."""

from __future__ import annotations

from kernelwright.agent.providers import ProviderConfig


def _model(provider: str, model: str = "gpt-4o-mini") -> str:
    return ProviderConfig(name=provider, model=model).model


def test_the_stored_model_is_the_one_that_answers() -> None:
    assert _model("openai", "qwen-coder") == "qwen-coder"
    assert _model("examples") == "examples"  # an offline replay, never mistaken for a model
    assert _model("local:/ckpt/sft") == "/ckpt/sft"  # the checkpoint, not the --model default
