"""The build cache's size limit (evaluator/build/cache.py), in process: least recently used modules go first, and
nothing in use, locked, just handed out, or not a module is ever removed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from kernelwright.evaluator.build.cache import cache_limit_bytes, entries, evict, file_lock, touch, try_lock, usage

MB = 2**20
OLD = 3600.0  # seconds: well past the grace period


def _module(root: Path, name: str, size: int, age_s: float, kind: str = "cpp", toolchain: str = "tc") -> Path:
    """A built module's cache entry, last used `age_s` seconds ago."""
    entry = root / kind / toolchain / "ext" / name
    entry.mkdir(parents=True)
    with open(entry / f"{name}.so", "wb") as handle:
        handle.truncate(size)
    stamp = time.time_ns() - int(age_s * 1e9)
    os.utime(entry, ns=(stamp, stamp))
    return entry


def _names(removed: list[Path]) -> list[str]:
    return [p.name for p in removed]


def test_least_recently_used_go_first_until_the_total_fits(tmp_path: Path) -> None:
    for name, age in (("newest", OLD), ("oldest", OLD * 3), ("middle", OLD * 2)):
        _module(tmp_path, name, 10 * MB, age)
    _module(tmp_path, "gpu", 10 * MB, OLD * 4, kind="cuda", toolchain="other")  # every kind and toolchain counts
    assert [e.path.name for e in entries(tmp_path)] == ["gpu", "oldest", "middle", "newest"]
    assert usage(tmp_path) == 40 * MB
    assert _names(evict(tmp_path, 25 * MB)) == ["gpu", "oldest"]
    assert usage(tmp_path) == 20 * MB and not (tmp_path / "cpp" / "tc" / "ext" / "oldest").exists()
    assert evict(tmp_path, 25 * MB) == []  # already under the limit


def test_only_modules_are_ever_removed(tmp_path: Path) -> None:
    tool = tmp_path / "cpp" / "tc"
    (tool / "pch" / "torch").mkdir(parents=True)
    (tool / "pch" / "torch" / "extension.h.gch").write_bytes(b"\0" * MB)
    (tool / "runner-modules" / "123-abc").mkdir(parents=True)
    (tool / "runner-modules" / "123-abc" / "m.so").write_bytes(b"\0" * MB)
    (tmp_path / "peaks").mkdir()
    (tmp_path / "peaks" / "cpu.json").write_text("{}")
    _module(tmp_path, "m", 5 * MB, OLD)
    assert _names(evict(tmp_path, 0)) == ["m"]
    assert (tool / "pch" / "torch" / "extension.h.gch").is_file()
    assert (tool / "runner-modules" / "123-abc" / "m.so").is_file() and (tmp_path / "peaks" / "cpu.json").is_file()


def test_recently_used_modules_stay_unless_the_caller_settled_them(tmp_path: Path) -> None:
    """A module used in the last minute may not be in its runner yet (whoever used it copies it right after); one
    the caller itself handed out, and nobody used since, was copied already."""
    old = _module(tmp_path, "old", 10 * MB, OLD)
    fresh = _module(tmp_path, "fresh", 10 * MB, 1.0)
    mine = _module(tmp_path, "mine", 10 * MB, 1.0)
    used_again = _module(tmp_path, "used_again", 10 * MB, 1.0)
    settled = {mine: touch(mine), used_again: touch(used_again)}
    time.sleep(0.01)
    touch(used_again)  # another evaluator's hit since: its stamp moved on
    assert _names(evict(tmp_path, 0, settled=settled)) == ["old", "mine"]
    assert fresh.exists() and used_again.exists() and not old.exists()


def test_the_module_being_handed_out_and_locked_modules_stay(tmp_path: Path) -> None:
    building = _module(tmp_path, "building", 10 * MB, OLD * 3)
    kept = _module(tmp_path, "kept", 10 * MB, OLD * 2)
    _module(tmp_path, "free", 10 * MB, OLD)
    with file_lock(building.parent.parent / "locks" / "building.lock", shared=True):  # a hit being stamped
        assert _names(evict(tmp_path, 0, keep=kept)) == ["free"]
    assert building.exists() and kept.exists()
    assert not (building.parent.parent / "locks" / "free.lock").exists(), "an evicted module's lock stays behind"


def test_one_evictor_at_a_time(tmp_path: Path) -> None:
    _module(tmp_path, "m", 10 * MB, OLD)
    with try_lock(tmp_path / "build-cache-evict.lock") as mine:
        assert mine
        assert evict(tmp_path, 0) == []  # another evictor is at work: this one returns at once
    assert _names(evict(tmp_path, 0)) == ["m"]


def test_the_limit_is_a_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KERNELWRIGHT_BUILD_CACHE_MB", raising=False)
    assert cache_limit_bytes() == 2048 * MB
    monkeypatch.setenv("KERNELWRIGHT_BUILD_CACHE_MB", "64")
    assert cache_limit_bytes() == 64 * MB
    assert evict(tmp_path / "missing", 0) == []
