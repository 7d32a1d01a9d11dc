"""The TRL configuration `train grpo` builds (`grpo_arguments`): one prompt group per optimizer step, its update run
`micro_batch` completions at a time with gradient checkpointing, so that a CPU step at useful lengths fits in memory
(benchmarks/grpo_memory.py measures it); and the preset file's keys that set it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

pytest.importorskip("trl")

from trl import GRPOConfig  # noqa: E402

from kernelwright.config.commands import GrpoCommand  # noqa: E402
from kernelwright.config.files import read_config, validate_config  # noqa: E402
from kernelwright.rl.trainers.grpo import grpo_arguments, logprob_chunk  # noqa: E402
from kernelwright.rl.trainers.options import GrpoOptions  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def _config(tmp_path: Path, **options: object) -> GRPOConfig:
    return GRPOConfig(**grpo_arguments(GrpoOptions(model=tmp_path, output_dir=tmp_path / "out", **options), [1.0]))


def test_by_default_the_update_runs_one_completion_at_a_time_with_checkpointing(tmp_path: Path) -> None:
    config = _config(tmp_path, num_generations=4)
    assert config.per_device_train_batch_size == 1
    assert config.gradient_accumulation_steps == 4
    assert config.gradient_checkpointing
    # Still one group per optimizer step, sampled in one batch and trained on while on-policy (TRL computes old
    # log-probs only when the accumulation steps are not a multiple of steps_per_generation x num_iterations).
    assert config.generation_batch_size == 4 and config.num_generations == 4
    assert config.steps_per_generation == config.gradient_accumulation_steps and config.num_iterations == 1
    # The dapo loss divides by the whole group's tokens, so accumulated micro batches give the same gradient.
    assert config.loss_type == "dapo"


def test_micro_batch_and_checkpointing_are_settings(tmp_path: Path) -> None:
    config = _config(tmp_path, num_generations=4, micro_batch=2, gradient_checkpointing=False)
    assert (config.per_device_train_batch_size, config.gradient_accumulation_steps) == (2, 2)
    assert config.generation_batch_size == 4 and not config.gradient_checkpointing
    whole = _config(tmp_path, num_generations=4, micro_batch=4)
    assert (whole.per_device_train_batch_size, whole.gradient_accumulation_steps) == (4, 1)
    assert whole.steps_per_generation == 1
    with pytest.raises(ValidationError, match=r"micro_batch \(3\) must divide num_generations \(4\)"):
        GrpoOptions(model=tmp_path, output_dir=tmp_path, num_generations=4, micro_batch=3)


def test_the_preset_sets_them() -> None:
    path = ROOT / "configs" / "train-grpo.yaml"
    source = read_config(path)
    command = validate_config(GrpoCommand, source.data, source)
    assert {"micro_batch", "gradient_checkpointing", "logprob_chunk"} <= source.data.keys()
    assert command.micro_batch == 1 and command.gradient_checkpointing and command.logprob_chunk == 4096


def test_the_fused_log_prob_head_tiles_the_vocabulary_as_set_and_is_restored_after(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch
    import trl.trainer.utils as trl_utils
    from tiny_lm import build_tiny_model
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(build_tiny_model(tmp_path / "tiny", ["Optimize relu."] * 4,
                                                                  vocab_size=300, hidden=32))
    trl_utils.add_fused_lm_head(model)
    widths: list[int] = []
    original = trl_utils._ChunkedLogProbFunction.apply

    def spy(*args: object) -> object:
        widths.append(int(args[5]))  # type: ignore[call-overload]  # (hidden, weight, bias, labels, temperature, width)
        return original(*args)

    monkeypatch.setattr(trl_utils._ChunkedLogProbFunction, "apply", spy)
    ids = torch.tensor([[5, 6, 7, 8]])
    default = trl_utils._CHUNKED_LOGPROB_CHUNK_SIZE
    with logprob_chunk(64):
        tiled = model(input_ids=ids, labels=ids, fused_lm_head=True).log_probs
    whole = model(input_ids=ids, labels=ids, fused_lm_head=True).log_probs
    assert widths == [64, default] and trl_utils._CHUNKED_LOGPROB_CHUNK_SIZE == default
    torch.testing.assert_close(tiled, whole)  # 300 columns in 5 tiles: the same log-probs
    assert GrpoOptions(model=tmp_path, output_dir=tmp_path).logprob_chunk == 4096
