"""Search strategies, found by name: how one task's model calls are spent (`search.strategy`, `--strategy`).

A strategy is one file: a `SearchStrategy` subclass with a `name`, decorated with `register`. The built-ins
(`parallel`, the default; `evolution`; `tree`) are imported the first time a name is looked up.
"""

from __future__ import annotations

import importlib
from typing import TypeVar

from kernelwright.agent.strategies.base import SearchProgress, SearchStrategy

S = TypeVar("S", bound=type[SearchStrategy])

BUILTIN_MODULES = tuple(f"{__name__}.{name}" for name in ("parallel", "evolution", "tree"))
_REGISTRY: dict[str, type[SearchStrategy]] = {}


class UnknownStrategy(ValueError):
    """No strategy is registered under this name."""


def register(cls: S) -> S:
    """Class decorator: make a strategy findable by its `name` (a second class under one name is an error)."""
    known = _REGISTRY.get(cls.name)
    if known is not None and known is not cls:
        raise ValueError(f"strategy {cls.name!r} is already registered by {known.__module__}.{known.__qualname__}")
    _REGISTRY[cls.name] = cls
    return cls


def _load_builtins() -> None:
    for module in BUILTIN_MODULES:
        importlib.import_module(module)


def strategy_names() -> list[str]:
    """The registered strategies' names, sorted."""
    _load_builtins()
    return sorted(_REGISTRY)


def strategy_class(name: str) -> type[SearchStrategy]:
    """The strategy registered as `name`; `UnknownStrategy` lists the known ones."""
    _load_builtins()
    if name not in _REGISTRY:
        raise UnknownStrategy(f"unknown search strategy {name!r}; known: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


__all__ = ["SearchProgress", "SearchStrategy", "UnknownStrategy", "register", "strategy_class", "strategy_names"]
