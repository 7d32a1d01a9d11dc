"""`kernelwright info`: what this installation runs with, for bug reports and for finding things on disk."""

from __future__ import annotations

import json
import os
import platform as host
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any

import platformdirs
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

from kernelwright.commands import options as opt
from kernelwright.console import out, print_pairs
from kernelwright.settings import Settings, env_variables

PACKAGES = ("kernelwright", "torch", "ray", "pydantic", "sqlalchemy", "typer", "openai", "triton", "trl",
            "transformers")
MASK = "****"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def shown_url(url: str) -> str:
    """A store URL as it may be printed: its password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


def settings_in_force(settings: Settings) -> dict[str, str]:
    """Each `KERNELWRIGHT_*` variable with the value in force (secrets masked) and whether the environment set
    it; the API key the service reads is shown only as set or not."""
    values: dict[str, Any] = {f"KERNELWRIGHT_{k.upper()}": v for k, v in settings.model_dump().items()
                              if k != "serve"}
    values.update({f"KERNELWRIGHT_SERVE_{k.upper()}": v for k, v in settings.serve.model_dump().items()})
    shown: dict[str, str] = {}
    for name in env_variables():
        value = values.get(name)
        text = "-" if value is None else str(value)
        if name == "KERNELWRIGHT_DB_URL" and value is not None:
            text = shown_url(str(value))
        source = "env" if name in os.environ else "default"
        shown[name] = f"{text} ({source})"
    key_env = settings.serve.api_key_env
    shown[key_env] = f"{MASK} (set)" if os.environ.get(key_env) else "not set"
    return shown


def _where(settings: Settings) -> dict[str, str]:
    from kernelwright.db.engine import default_db_url
    from kernelwright.evaluator.build.cache import usage

    cache = settings.cache_dir or Path(platformdirs.user_cache_dir("kernelwright"))
    home = settings.home or Path(platformdirs.user_data_dir("kernelwright"))
    built = f"{usage(cache) / 2**20:.0f} MiB of {settings.build_cache_mb} MiB (KERNELWRIGHT_BUILD_CACHE_MB)"
    return {"store": shown_url(settings.db_url or default_db_url()), "build and probe cache": str(cache),
            "built kernels in the cache": built, "imported task registry": str(home)}


def info_cmd(
    as_json: Annotated[bool, opt.json_flag("print one JSON object")] = False,
) -> None:
    """The settings in force (secrets masked), versions, platforms, and where the store and caches are."""
    from kernelwright.evaluator.platforms import available_platforms, platform_problems

    settings = Settings()
    report = {
        "versions": {"python": sys.version.split()[0], **{p: _version(p) for p in PACKAGES}},
        "machine": f"{host.system()} {host.machine()}, {os.cpu_count()} cores",
        "platforms": available_platforms(),
        "where": _where(settings),
        "settings": settings_in_force(settings),
    }
    broken = platform_problems()
    if broken:  # an installed platform whose entry point fails: said here, not as a crash of every command
        report["broken_platforms"] = broken
    if as_json:
        print(json.dumps(report))
        return
    for title, section in (("versions", report["versions"]), ("where", report["where"]),
                           ("settings (KERNELWRIGHT_*)", report["settings"])):
        assert isinstance(section, dict)
        # Lines that are never wrapped: a store path or URL is not split and copies whole.
        print_pairs(title, [(key, str(value)) for key, value in section.items()])
    out.print(f"machine: {report['machine']}; platforms: {', '.join(available_platforms())}", highlight=False)
    for problem in broken.values():
        out.print(f"broken platform: {problem}", highlight=False, markup=False)
