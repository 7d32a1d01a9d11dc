"""The strategies' names: which class each name is registered under.

It imports nothing of the search, so `SearchConfig` can refuse an unknown name at the config's own line while the
strategies themselves import `SearchConfig`. The built-ins are imported by module name the first time a name is
looked up.
"""

from __future__ import annotations

import importlib
from typing import TypeVar

S = TypeVar("S", bound=type)

DEFAULT_STRATEGY = "parallel"
BUILTIN_MODULES = tuple(f"{__package__}.{name}" for name in ("parallel", "evolution", "tree"))
_REGISTRY: dict[str, type] = {}


class UnknownStrategy(ValueError):
    """No strategy is registered under this name."""


def register(cls: S) -> S:
    """Class decorator: make a strategy findable by its `name` (a second class under one name is an error)."""
    name: str = cls.name  # type: ignore[attr-defined]  # every SearchStrategy declares it
    known = _REGISTRY.get(name)
    if known is not None and known is not cls:
        raise ValueError(f"strategy {name!r} is already registered by {known.__module__}.{known.__qualname__}")
    _REGISTRY[name] = cls
    return cls


def _load_builtins() -> None:
    for module in BUILTIN_MODULES:
        importlib.import_module(module)


def strategy_names() -> list[str]:
    """The registered strategies' names, sorted."""
    _load_builtins()
    return sorted(_REGISTRY)


def registered(name: str) -> type:
    """The class registered as `name`; `UnknownStrategy` lists the known ones."""
    _load_builtins()
    if name not in _REGISTRY:
        raise UnknownStrategy(f"unknown search strategy {name!r}; known: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]
