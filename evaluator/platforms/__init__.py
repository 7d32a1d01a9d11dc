"""The platform registry: one class per platform, each in its own module, found through entry points.

A platform is a `Platform` subclass in one file. The built-in ones (`cpu`, `cuda`, `triton`, `pallas`) are listed
here too, so they are there whether or not the installed package's metadata declares them (an editable install made
before they were declared as entry points still finds them). Any installed distribution adds one under the
`kernelwright.platforms` entry-point group, the entry point's name being the platform's name:

    [project.entry-points."kernelwright.platforms"]
    tpu = "my_package.tpu:TpuPlatform"

An entry point that cannot be loaded, or that names something other than a platform of its own name, breaks only
that platform: asking for it raises `PlatformLoadError` naming the entry point; every other platform still works.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points

from kernelwright.evaluator.platforms.base import HardwareInfo, Peaks, Platform

ENTRY_POINT_GROUP = "kernelwright.platforms"
# The built-ins, loaded like installed entry points (pyproject.toml declares the same ones; either finds them).
BUILTIN = (EntryPoint("cpu", "kernelwright.evaluator.platforms.cpu:CpuPlatform", ENTRY_POINT_GROUP),
           EntryPoint("cuda", "kernelwright.evaluator.platforms.cuda:CudaPlatform", ENTRY_POINT_GROUP),
           EntryPoint("triton", "kernelwright.evaluator.platforms.triton:TritonPlatform", ENTRY_POINT_GROUP),
           EntryPoint("pallas", "kernelwright.evaluator.platforms.pallas:PallasPlatform", ENTRY_POINT_GROUP))

_REGISTRY: dict[str, type[Platform]] = {}
# Entry points that failed to load, by platform name: the error `get_platform` raises for that name.
_BROKEN: dict[str, str] = {}
_discovered = False


class PlatformLoadError(RuntimeError):
    """An installed platform's entry point could not be loaded (the message names it and says why)."""


def register(name: str) -> Callable[[type[Platform]], type[Platform]]:
    """Class decorator adding a platform class under `name` by hand (a script's or a test's own platform)."""

    def wrap(cls: type[Platform]) -> type[Platform]:
        _REGISTRY[name] = cls
        return cls

    return wrap


def _entry_point_problem(point: EntryPoint) -> str | None:
    """Load one entry point into the registry; what is wrong with it, or None."""
    where = f"platform entry point {point.name!r} ({point.value}, group {ENTRY_POINT_GROUP!r})"
    try:
        loaded = point.load()
    except Exception as exc:  # noqa: BLE001 - a third party's import can fail any way; the error names it below
        return f"{where} failed to load: {type(exc).__name__}: {exc}"
    if not (isinstance(loaded, type) and issubclass(loaded, Platform)):
        return f"{where} names {loaded!r}, which is not a subclass of evaluator.platforms.Platform"
    if getattr(loaded, "name", None) != point.name:
        return f"{where} names a platform called {getattr(loaded, 'name', None)!r}; the two names must agree"
    known = _REGISTRY.get(point.name)
    if known is not None and known is not loaded:
        return f"{where} would replace the platform {point.name!r} of {known.__module__}; choose another name"
    _REGISTRY[point.name] = loaded
    return None


def _discover() -> None:
    """Load the built-ins and every installed entry point, once (each registers or records its error)."""
    global _discovered
    if _discovered:
        return
    for point in (*BUILTIN, *entry_points(group=ENTRY_POINT_GROUP)):
        problem = _entry_point_problem(point)
        if problem is not None:
            _BROKEN[point.name] = problem
    _discovered = True


def available_platforms() -> list[str]:
    """Names of every platform that loaded (broken entry points are in `platform_problems`)."""
    _discover()
    return sorted(_REGISTRY)


def platform_problems() -> dict[str, str]:
    """Installed platforms whose entry point could not be loaded, with why, by name."""
    _discover()
    return dict(_BROKEN)


def platform_error(name: str) -> str | None:
    """Why `name` can't be used as a platform (unknown, or its entry point failed to load), or None: what a
    command says before it starts anything."""
    try:
        platform_class(name)
    except (PlatformLoadError, ValueError) as exc:
        return str(exc)
    return None


def platform_class(name: str) -> type[Platform]:
    """The class of the platform `name`, for its declared facts without making one (no device is touched).

    `PlatformLoadError` for an installed platform that failed to load, `ValueError` naming the choices for an
    unknown name."""
    _discover()
    if name in _REGISTRY:
        return _REGISTRY[name]
    if name in _BROKEN:
        raise PlatformLoadError(_BROKEN[name])
    raise ValueError(f"unknown platform {name!r}; available: {', '.join(sorted(_REGISTRY))}")


def get_platform(name: str) -> Platform:
    """A fresh platform instance; errors as `platform_class`."""
    return platform_class(name)()


__all__ = ["ENTRY_POINT_GROUP", "HardwareInfo", "Peaks", "Platform", "PlatformLoadError", "available_platforms",
           "get_platform", "platform_class", "platform_error", "platform_problems", "register"]
