"""Where built artifacts live, keyed by a hash of everything that goes into them; and the cache's size limit.

Built modules are entries `<cache>/<cpp|cuda>/<toolchain>/ext/<module>/`. Their total size is capped
(`KERNELWRIGHT_BUILD_CACHE_MB`, read through `tasks.env`): after every new module, the least recently used entries
are removed until the total fits. Nothing else is ever removed: not the precompiled headers (`pch/`), not the light
headers, not the runners' private module copies (`runner-modules/`), not the probe or peak caches.

Eviction is safe with concurrent evaluators: an entry is removed only under its module lock, taken exclusively
(builders hold it exclusively while they build, and shared while they find a hit and stamp it as used); and an
entry used in the last `GRACE_S` seconds is kept, since whoever used it may not have copied it to its runner yet
(runners load a private copy, `RunnerProcess._expose`, made right after the build answers). An entry the caller
itself handed out earlier, and nobody used since (`settled`), is no longer needed: its copy was made.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kernelwright.tasks.env import build_cache_mb, cache_dir
from kernelwright.tasks.hashing import sha256_text

# Entries used this recently are never removed by someone else's eviction (see the module docstring).
GRACE_S = 60.0
_KINDS = ("cpp", "cuda")


def cache_root() -> Path:
    """The cache folder (`tasks.env.cache_dir`), made if missing."""
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    return root


def cache_limit_bytes() -> int:
    """The built modules' total size at most (`KERNELWRIGHT_BUILD_CACHE_MB`)."""
    return build_cache_mb() * 2**20


def content_key(*parts: str) -> str:
    """A short stable key over the given texts.

    Each part is length-prefixed: with a bare separator, sources that contain it could be split differently and
    give another request's key (and the module built for it).
    """
    return sha256_text("".join(f"{len(p)}:{p}" for p in parts))[:20]


@contextmanager
def file_lock(path: Path, shared: bool = False) -> Iterator[None]:
    """A lock so concurrent evaluators build one artifact once: exclusive, or `shared` (readers of a hit)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def try_lock(path: Path) -> Iterator[bool]:
    """The exclusive lock at `path` if nobody holds it now (True), else nothing (False); never waits."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def touch(entry: Path) -> int:
    """Mark a cache entry (a module's folder) as used now; returns the stamp (its mtime, ns)."""
    stamp = time.time_ns()
    os.utime(entry, ns=(stamp, stamp))
    return os.stat(entry).st_mtime_ns


@dataclass(frozen=True)
class Entry:
    """One built module's folder in the cache."""

    path: Path
    size: int
    used_ns: int

    @property
    def lock(self) -> Path:
        """The builders' lock of this module (`<toolchain>/locks/<module>.lock`)."""
        return self.path.parent.parent / "locks" / f"{self.path.name}.lock"


def _size(folder: Path) -> int:
    total = 0
    for parent, _, files in os.walk(folder):  # walk ignores folders removed meanwhile
        for name in files:
            try:
                total += os.lstat(os.path.join(parent, name)).st_size
            except OSError:
                continue  # removed meanwhile
    return total


def entries(root: Path) -> list[Entry]:
    """Every built module's folder under the cache `root`, least recently used first."""
    found = []
    for kind in _KINDS:
        for folder in (root / kind).glob("*/ext/*"):
            try:
                used = folder.lstat().st_mtime_ns
            except OSError:
                continue
            if folder.is_dir() and not folder.is_symlink():
                found.append(Entry(folder, _size(folder), used))
    return sorted(found, key=lambda e: e.used_ns)


def usage(root: Path) -> int:
    """The built modules' total size in bytes."""
    return sum(e.size for e in entries(root))


def evict(root: Path, limit: int, keep: Path | None = None, settled: dict[Path, int] | None = None,
          grace_s: float = GRACE_S) -> list[Path]:
    """Remove least recently used modules under `root` until their total is at most `limit` bytes; returns what
    was removed.

    Never removes `keep`, an entry used in the last `grace_s` seconds (unless `settled` holds it with its current
    stamp: the caller handed it out and nobody used it since), or one whose lock someone holds. Only one evictor
    works at a time; a second returns at once.
    """
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    with try_lock(root / "build-cache-evict.lock") as mine:
        if not mine:
            return removed
        found = entries(root)
        total = sum(e.size for e in found)
        now = time.time_ns()
        for entry in found:
            if total <= limit:
                break
            if keep is not None and entry.path == keep:
                continue
            with try_lock(entry.lock) as free:
                if not free:
                    continue
                try:
                    used = entry.path.lstat().st_mtime_ns  # again, under the lock: a hit may have stamped it
                except OSError:
                    continue
                mine_only = settled is not None and settled.get(entry.path) == used
                if now - used < grace_s * 1e9 and not mine_only:
                    continue
                # Renamed first: a half-removed folder never looks like a module to a builder.
                gone = entry.path.with_name(f".evicted-{uuid.uuid4().hex[:12]}")
                try:
                    entry.path.rename(gone)
                except OSError:
                    continue
                shutil.rmtree(gone, ignore_errors=True)
                # Its lock goes too (one empty file per module ever built would pile up). A builder that opened it
                # before this gets a lock nobody else will share, and builds what a second builder may build too:
                # the same bytes, each installed by an atomic rename.
                entry.lock.unlink(missing_ok=True)
                total -= entry.size
                removed.append(entry.path)
    return removed
