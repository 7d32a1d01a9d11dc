"""The options `optimize` and `bench` share turn into the provider settings a run stores."""

from __future__ import annotations

from kernelwright.commands.options import provider_config


def _model(provider: str, model: str = "gpt-4o-mini") -> str:
    return provider_config(provider, model, None, "OPENAI_API_KEY", 0.7, 512, False, 0.0, 0.0).model


def test_the_stored_model_is_the_one_that_answers() -> None:
    assert _model("openai", "qwen-coder") == "qwen-coder"
    assert _model("examples") == "examples"  # an offline replay, never mistaken for a model
    assert _model("local:/ckpt/sft") == "/ckpt/sft"  # the checkpoint, not the --model default
