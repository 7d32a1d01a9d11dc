"""The environment variables the lower rooms read (`tasks`, and `evaluator` through it), in one place.

`kernelwright/settings.py` declares every `KERNELWRIGHT_*` variable with its help text; these rooms may not import
it, so they read their few here, by the same names. Values are read on each call: tests and Ray workers set them
after import.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def cache_dir() -> Path:
    """`KERNELWRIGHT_CACHE_DIR`, else the user's cache folder: built kernels, probe verdicts, peaks, locks."""
    return Path(os.environ.get("KERNELWRIGHT_CACHE_DIR") or platformdirs.user_cache_dir("kernelwright"))


def build_cache_mb() -> int:
    """`KERNELWRIGHT_BUILD_CACHE_MB`: the built kernels' total size in the cache at most (default 2048); the least
    recently used are removed past it."""
    return max(1, int(os.environ.get("KERNELWRIGHT_BUILD_CACHE_MB") or 2048))


def home_dir() -> Path:
    """`KERNELWRIGHT_HOME`, else the user's data folder: the registry of imported tasks, the prepared base models."""
    return Path(os.environ.get("KERNELWRIGHT_HOME") or platformdirs.user_data_dir("kernelwright"))


def probe_timeout_s() -> float:
    """`KERNELWRIGHT_PROBE_TIMEOUT`: seconds a task's probe may take (default 120)."""
    return float(os.environ.get("KERNELWRIGHT_PROBE_TIMEOUT", "120"))


def cuda_arch(default: str) -> str:
    """`KERNELWRIGHT_CUDA_ARCH`: the architecture CUDA compile checks target without a GPU."""
    return os.environ.get("KERNELWRIGHT_CUDA_ARCH", default)
