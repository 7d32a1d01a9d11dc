"""The platform registry: one class per platform, each in its own module."""

from __future__ import annotations

from collections.abc import Callable

from evaluator.platforms.base import HardwareInfo, Peaks, Platform

_REGISTRY: dict[str, Callable[[], Platform]] = {}


def register(name: str) -> Callable[[Callable[[], Platform]], Callable[[], Platform]]:
    """Class decorator adding a platform factory under `name`."""

    def wrap(factory: Callable[[], Platform]) -> Callable[[], Platform]:
        _REGISTRY[name] = factory
        return factory

    return wrap


def available_platforms() -> list[str]:
    """Names of every registered platform."""
    _load_builtin()
    return sorted(_REGISTRY)


def get_platform(name: str) -> Platform:
    """A fresh platform instance; `ValueError` naming the choices for an unknown name."""
    _load_builtin()
    if name not in _REGISTRY:
        raise ValueError(f"unknown platform {name!r}; available: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]()


def _load_builtin() -> None:
    from evaluator.platforms import cpu, cuda, triton  # noqa: F401  (each registers itself)


__all__ = ["HardwareInfo", "Peaks", "Platform", "available_platforms", "get_platform", "register"]
