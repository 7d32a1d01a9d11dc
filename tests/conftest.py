"""Session-wide test setup: one shared build cache for every test run on this machine.

The evaluator's C++ builder precompiles a header (~25 s) and caches every kernel it builds under
`KERNELWRIGHT_CACHE_DIR`. Pointing all test runs at one stable folder under the system temp dir makes
that a one-time cost instead of a per-run one. An explicit `KERNELWRIGHT_CACHE_DIR` is left alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

TEST_CACHE_DIR = Path(tempfile.gettempdir()) / "kernelwright-test-cache"

# Set at import, before any test module imports the evaluator, so every `cache_root()` call agrees.
os.environ.setdefault("KERNELWRIGHT_CACHE_DIR", str(TEST_CACHE_DIR))


@pytest.fixture(scope="session", autouse=True)
def shared_build_cache() -> Path:
    """The build cache this session uses (created if missing)."""
    path = Path(os.environ["KERNELWRIGHT_CACHE_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def ray_env() -> Iterator[dict[str, str]]:
    """Environment for CLI runs: Ray without auth in a short private temp dir (unix socket paths are short).

    Fails the test if any process of that Ray session outlives it.
    """
    ray_tmp = tempfile.mkdtemp(prefix="kwray", dir="/tmp")
    env = dict(os.environ, RAY_AUTH_MODE="disabled", RAY_TMPDIR=ray_tmp, OPENAI_API_KEY="test-key",
               PYTHONUNBUFFERED="1")
    yield env
    leftovers = subprocess.run(["pgrep", "-f", ray_tmp], capture_output=True, text=True).stdout.split()
    shutil.rmtree(ray_tmp, ignore_errors=True)
    assert leftovers == [], "Ray processes outlived the CLI"
