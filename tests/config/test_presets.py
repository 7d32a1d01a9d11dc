"""Every preset in configs/ validates with its command's model, and a file's mistakes are reported with the
file, the line, the key and what is allowed there."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from kernelwright.config.commands import BenchCommand, GrpoCommand, OptimizeCommand, SftCommand
from kernelwright.config.files import ConfigError, read_config, validate_config
from kernelwright.settings import ServeSettings

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
COMMAND_OF_PREFIX: dict[str, type[BaseModel]] = {
    "optimize-": OptimizeCommand, "bench-": BenchCommand, "train-sft": SftCommand, "train-grpo": GrpoCommand,
    "serve-": ServeSettings,
}
PRESETS = sorted(CONFIGS.glob("*.yaml"))


def command_of(path: Path) -> type[BaseModel]:
    return next(model for prefix, model in COMMAND_OF_PREFIX.items() if path.name.startswith(prefix))


def test_the_presets_cover_every_command() -> None:
    assert len(PRESETS) >= 9
    assert {command_of(p) for p in PRESETS} == set(COMMAND_OF_PREFIX.values())


@pytest.mark.parametrize("path", PRESETS, ids=[p.stem for p in PRESETS])
def test_preset_validates(path: Path) -> None:
    source = read_config(path)
    assert source.data, f"{path.name} is empty"
    validate_config(command_of(path), source.data, source)


def test_unknown_key_names_file_line_and_what_is_allowed(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("task: activation/relu\nsearch:\n  trajectories: 2\n  turn: 3\n")
    with pytest.raises(ConfigError) as caught:
        validate_config(OptimizeCommand, read_config(path).data, read_config(path))
    message = str(caught.value)
    assert f"{path}:4: search.turn: unknown key (did you mean 'turns'?)" in message
    assert "allowed here: exemplars, max_failures, patience, seed, strategy, trajectories, turns" in message


def test_wrong_type_names_file_line_and_value(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("task: activation/relu\neval:\n  correctness_trials: many\nprovider:\n  temperature: 5\n")
    source = read_config(path)
    with pytest.raises(ConfigError) as caught:
        validate_config(OptimizeCommand, source.data, source)
    message = str(caught.value)
    assert f"{path}:3: eval.correctness_trials: Input should be a valid integer" in message
    assert "'many'" in message
    assert f"{path}:5: provider.temperature: Input should be less than or equal to 2" in message


def test_missing_required_key_and_bad_yaml(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("platform: cpu\n")
    source = read_config(path)
    with pytest.raises(ConfigError, match="task: required .* unless from_kernel is a stored kernel id"):
        validate_config(OptimizeCommand, source.data, source)
    path.write_text("task: [unclosed\n")
    with pytest.raises(ConfigError, match=rf"{path}:2: not valid YAML"):
        read_config(path)
    path.write_text("- a list\n")
    with pytest.raises(ConfigError, match="a mapping of keys to values"):
        read_config(path)


def test_a_retired_reward_key_says_why_it_went_and_an_unknown_function_lists_the_known(tmp_path: Path) -> None:
    # train-grpo.yaml once set `advantage_clip`, which never did anything: an old file is told so, not ignored.
    path = tmp_path / "grpo.yaml"
    path.write_text("model: smollm2-135m\noutput_dir: out\nreward:\n  advantage_clip: 3.0\n  epsilon: 0.0001\n")
    source = read_config(path)
    with pytest.raises(ConfigError) as caught:
        validate_config(GrpoCommand, source.data, source)
    message = str(caught.value)
    assert f"{path}:4: reward.advantage_clip: removed: it never did anything" in message
    assert f"{path}:5: reward.epsilon: removed: it never did anything" in message
    path.write_text("model: smollm2-135m\noutput_dir: out\nreward:\n  functions:\n    speedup: 1.0\n    fast: 1.0\n")
    source = read_config(path)
    with pytest.raises(ConfigError) as caught:
        validate_config(GrpoCommand, source.data, source)
    assert (f"{path}:4: reward.functions: Value error, unknown reward function 'fast'; known: speedup, correct, "
            "format") in str(caught.value)


def test_an_old_grpo_run_written_back_as_a_file_drops_the_retired_keys() -> None:
    from kernelwright.config.commands import grpo_file

    stored = {"model": "m", "output_dir": "out", "cluster": {"workers": 2},
              "reward": {"max_log_speedup": 1.0, "advantage_clip": 3.0, "epsilon": 1e-4}}
    data = grpo_file(stored, ["activation/relu"])
    assert data == {"model": "m", "output_dir": "out", "reward": {"max_log_speedup": 1.0},
                    "tasks": ["activation/relu"]}
    validate_config(GrpoCommand, data)
    # The stored run itself still loads: the models ignore keys they no longer have.
    assert GrpoCommand.model_validate(stored).reward.max_log_speedup == 1.0
