"""Session-wide test setup: one shared build cache for every test run on this machine.

The evaluator's C++ builder precompiles a header (~25 s) and caches every kernel it builds under
`KERNELWRIGHT_CACHE_DIR`. Pointing all test runs at one stable folder under the system temp dir makes
that a one-time cost instead of a per-run one. An explicit `KERNELWRIGHT_CACHE_DIR` is left alone.
"""

from __future__ import annotations

import os
import tempfile
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
