"""YAML run configurations: read a file with the line of every key, validate it, say clearly what is wrong.

An error names the file, the line, the key and what is allowed there (the fields of that section for an
unknown key, the expected type or range for a bad value), so a typo in a committed experiment file is found
before anything runs.
"""

from __future__ import annotations

import difflib
import os
import types
import typing
from pathlib import Path
from typing import Any, TypeVar, Union

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.config import JsonDict

from kernelwright.agent.models import MODEL_OR_PATH, is_base_name

M = TypeVar("M", bound=BaseModel)
Key = tuple[str | int, ...]


class ConfigError(ValueError):
    """A configuration file (or the options given with it) is not valid; the message lists every problem."""


class ConfigFile:
    """A parsed YAML mapping with the line number of each key (`lines[("search", "turns")] == 12`)."""

    def __init__(self, path: Path, data: dict[str, Any], lines: dict[Key, int]) -> None:
        self.path, self.data, self.lines = path, data, lines

    def where(self, key: Key) -> str:
        """`file:line` of `key`, or of its nearest enclosing key that the file has; the file alone if none."""
        for end in range(len(key), 0, -1):
            if key[:end] in self.lines:
                return f"{self.path}:{self.lines[key[:end]]}"
        return str(self.path)


def _lines(node: yaml.Node, prefix: Key, out: dict[Key, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = prefix + (str(key_node.value),)
            out[key] = key_node.start_mark.line + 1
            _lines(value_node, key, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            out[prefix + (index,)] = item.start_mark.line + 1
            _lines(item, prefix + (index,), out)


def read_config(path: Path) -> ConfigFile:
    """Parse a YAML configuration file; `ConfigError` for a missing file, bad YAML or a non-mapping."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc}") from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ConfigError(f"{where}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a configuration is a mapping of keys to values, not a {type(data).__name__}")
    lines: dict[Key, int] = {}
    if node is not None:
        _lines(node, (), lines)
    return ConfigFile(path, data, lines)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model a field holds (through `X | None`), or None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (Union, types.UnionType):
        models = [m for m in map(_model_of, typing.get_args(annotation)) if m is not None]
        return models[0] if len(models) == 1 else None
    return None


def _retired(model: type[BaseModel]) -> dict[str, str]:
    """The keys a model had once, each with why it went (a model's `retired_keys` class variable)."""
    retired: dict[str, str] = getattr(model, "retired_keys", {})
    return retired


def unknown_keys(model: type[BaseModel], data: dict[str, Any], prefix: Key = ()) -> list[tuple[Key, str]]:
    """Keys of `data` that `model` (and the models of its sections) does not have, each with what is allowed,
    or, for a key the model had once, why it went.

    Checked here rather than by each model's `extra="forbid"`, so that the models stored with runs stay
    lenient towards old records while files get the strict reading.
    """
    allowed = set(model.model_fields)
    problems: list[tuple[Key, str]] = []
    for key, value in data.items():
        name = str(key)
        if name in _retired(model):
            problems.append((prefix + (name,), _retired(model)[name]))
            continue
        if name not in allowed:
            close = difflib.get_close_matches(name, sorted(allowed), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append((prefix + (name,), f"unknown key{hint}; allowed here: {', '.join(sorted(allowed))}"))
            continue
        section = _model_of(model.model_fields[name].annotation)
        if section is not None and isinstance(value, dict):
            problems += unknown_keys(section, value, prefix + (name,))
    return problems


def without_retired(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """`data` (a stored run's options for `model`) without the keys its models have retired, section by section,
    so that an old run written back as a file validates."""
    kept: dict[str, Any] = {}
    for key, value in data.items():
        if str(key) in _retired(model):
            continue
        field = model.model_fields.get(str(key))
        section = _model_of(field.annotation) if field is not None else None
        kept[key] = without_retired(section, value) if section is not None and isinstance(value, dict) else value
    return kept


# A field marked with this (`Field(json_schema_extra=FILE_OR_ID)`) holds a task file or a task id; a value
# ending in `.py` is a file, and resolves relative to the configuration file as every `Path` field does.
FILE_OR_ID: JsonDict = {"file_or_id": True}


def _is_path(annotation: Any) -> bool:
    """Whether a field holds a `Path` (through `X | None` and `list[X]`)."""
    if annotation is Path:
        return True
    return any(_is_path(arg) for arg in typing.get_args(annotation))


def _relative_to(base: Path, value: Any, files_only: bool = False) -> Any:
    if isinstance(value, list):
        return [_relative_to(base, item, files_only) for item in value]
    if not isinstance(value, str) or not value or (files_only and not value.endswith(".py")):
        return value
    path = Path(value).expanduser()
    return str(path) if path.is_absolute() else os.path.normpath(base / path)


def resolve_paths(model: type[BaseModel], data: dict[str, Any], base: Path) -> dict[str, Any]:
    """`data` (a configuration file's mapping for `model`) with every relative path made relative to `base`, the
    file's folder, so that a file names its data and models the same way from wherever it is run. Options given
    on the command line are not passed here: they stay relative to the working directory."""
    resolved = dict(data)
    for name, value in data.items():
        field = model.model_fields.get(str(name))
        if field is None:
            continue
        section = _model_of(field.annotation)
        if section is not None and isinstance(value, dict):
            resolved[name] = resolve_paths(section, value, base)
        elif field.json_schema_extra == MODEL_OR_PATH and isinstance(value, str) and is_base_name(value):
            resolved[name] = value  # a base's name, resolved to its prepared folder when the command runs
        elif _is_path(field.annotation):
            resolved[name] = _relative_to(base, value)
        elif field.json_schema_extra == FILE_OR_ID:
            resolved[name] = _relative_to(base, value, files_only=True)
    return resolved


def _dotted(key: Key) -> str:
    return ".".join(str(part) for part in key) or "(top level)"


def validate_config(model: type[M], data: dict[str, Any], source: ConfigFile | None = None,
                    flags: dict[Key, str] | None = None) -> M:
    """`model` built from `data`; `ConfigError` listing every unknown key and bad value, each with where it
    came from: the file and line, or the command-line option (`flags` maps keys to option names)."""
    flags = flags or {}

    def where(key: Key) -> str:
        for end in range(len(key), 0, -1):
            if key[:end] in flags:
                return flags[key[:end]]
        return source.where(key) if source is not None else "options"

    problems = [f"{where(key)}: {_dotted(key)}: {message}" for key, message in unknown_keys(model, data)]
    if not problems:
        try:
            # The constructor, not model_validate: settings models fill what is not given from the environment.
            return model(**data)
        except ValidationError as exc:
            for error in exc.errors():
                key = tuple(error["loc"])
                allowed = error["msg"]
                if error["type"] == "missing":
                    allowed = "required, and not given"
                elif "input" in error and not isinstance(error["input"], (dict, list)):
                    allowed = f"{error['msg']} (got {error['input']!r})"
                problems.append(f"{where(key)}: {_dotted(key)}: {allowed}")
    raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))


def set_key(data: dict[str, Any], key: Key, value: Any) -> None:
    """Set `data[a][b]... = value` for key `(a, b, ...)`, creating sections as needed."""
    node = data
    for part in key[:-1]:
        child = node.get(str(part))
        if not isinstance(child, dict):
            child = {}
            node[str(part)] = child
        node = child
    node[str(key[-1])] = value


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`base` with `over` laid on top, section by section (a section in `over` keeps `base`'s other keys)."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def to_yaml(data: dict[str, Any], header: str = "") -> str:
    """`data` as a YAML document (keys in the given order), after `header` comment lines."""
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comment + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
