"""A command's configuration from three layers: its options' defaults, then a `--config` file, then the
options given on the command line (each overrides the one before)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel

from kernelwright.config.files import ConfigFile, Key, merge, read_config, resolve_paths, set_key, validate_config

M = TypeVar("M", bound=BaseModel)

ConfigPath = Annotated[Path | None, typer.Option("--config", help="a YAML run configuration (see configs/); "
                                                 "options given here override its values")]


def _key(path: str) -> Key:
    return tuple(path.split("."))


def given_options(ctx: typer.Context) -> set[str]:
    """Parameters set on the command line (or by an environment variable), not left at their defaults."""
    # Compared by name: Typer carries its own copy of click, whose ParameterSource is not click's.
    sources = {name: ctx.get_parameter_source(name) for name in ctx.params}
    return {name for name, source in sources.items()
            if source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT")}


def command_config(ctx: typer.Context, model: type[M], keys: dict[str, str], config: Path | None,
                   defaults: bool = True) -> M:
    """`model` from the options' defaults (unless `defaults` is False), the file at `config`, and the options
    given; `keys` maps option parameter names to dotted keys of the model (`"trials": "eval.correctness_trials"`).
    Raises `ConfigError` naming the file and line, or the option, of every problem."""
    data: dict[str, Any] = {}
    if defaults:
        for name, path in keys.items():
            if ctx.params.get(name) is not None:
                set_key(data, _key(path), ctx.params[name])
    source: ConfigFile | None = None
    if config is not None:
        source = read_config(config)
        data = merge(data, resolve_paths(model, source.data, config.resolve().parent))
    given: dict[Key, str] = {}
    options = {param.name: param.opts[0] for param in ctx.command.params if param.opts}
    for name in given_options(ctx) & keys.keys():
        key = _key(keys[name])
        set_key(data, key, ctx.params[name])
        given[key] = options.get(name, name)
    return validate_config(model, data, source, given)
