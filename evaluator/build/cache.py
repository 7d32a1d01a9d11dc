"""Where built artifacts live, keyed by a hash of everything that goes into them."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tasks.env import cache_dir
from tasks.hashing import sha256_text


def cache_root() -> Path:
    """The cache folder (`tasks.env.cache_dir`), made if missing."""
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    return root


def content_key(*parts: str) -> str:
    """A short stable key over the given texts.

    Each part is length-prefixed: with a bare separator, sources that contain it could be split differently and
    give another request's key (and the module built for it).
    """
    return sha256_text("".join(f"{len(p)}:{p}" for p in parts))[:20]


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock so concurrent evaluators build one artifact once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
