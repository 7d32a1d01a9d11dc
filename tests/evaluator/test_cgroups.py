"""Where a jail's cgroup is made (on a fake cgroup v2 tree; the real one is used by the jail tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

import kernelwright.evaluator.jail.limits as limits
from kernelwright.evaluator.jail.limits import Cgroup, Limits

LIMITS = Limits(memory_mb=512, cpu_seconds=60, max_processes=32, max_file_mb=100)


@pytest.fixture
def fake_v2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    monkeypatch.setattr(limits, "_CGROUP_FS", tmp_path)
    monkeypatch.setattr(limits, "_swept", True)
    return tmp_path


def test_beside_our_own_cgroup_when_it_delegates(fake_v2: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (fake_v2 / "service").mkdir()
    monkeypatch.setattr(limits, "_own_cgroup", lambda controller: "/service")
    group = Cgroup.create(LIMITS)
    assert group.memory is not None and group.memory.parent == fake_v2 / "service"
    assert (group.memory / "memory.max").read_text() == str(512 * 2**20)
    assert (group.memory / "pids.max").read_text() == "32" and not group.notes


def test_at_the_root_when_our_own_cgroup_does_not(fake_v2: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A VM's process group that holds processes cannot enable controllers for children (cgroup v2's rule):
    the jail's cgroup goes to the root, which root may write."""
    monkeypatch.setattr(limits, "_own_cgroup", lambda controller: "/process_api/c7e8")  # not ours to change
    group = Cgroup.create(LIMITS)
    assert group.memory is not None and group.memory.parent == fake_v2 and not group.notes


def test_without_controllers_the_notes_say_what_stands_in(fake_v2: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (fake_v2 / "cgroup.controllers").write_text("cpu io\n")
    monkeypatch.setattr(limits, "_own_cgroup", lambda controller: "/")
    group = Cgroup.create(LIMITS)
    assert group.memory is None
    assert any("RLIMIT_AS" in n for n in group.notes) and any("RLIMIT_NPROC" in n for n in group.notes)
