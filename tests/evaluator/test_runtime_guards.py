"""The runner's tripwires, in-process and fast: the torch/harness integrity snapshot, the audit-hook guard's
decisions, and the plain-argument copy a build request is made of (no candidate code may run while it is sent).
"""

from __future__ import annotations

import os
import types
from pathlib import Path

import pytest
import torch
from torch.overrides import TorchFunctionMode

from kernelwright.evaluator.integrity import TorchIntegrity
from kernelwright.evaluator.runner.builds import plain
from kernelwright.evaluator.runner.guard import SandboxGuard

# --- TorchIntegrity ---------------------------------------------------------------------------------


@pytest.fixture
def integrity() -> TorchIntegrity:
    model = torch.nn.ReLU()
    snapshot = TorchIntegrity(lambda: model(torch.randn(8)))
    assert snapshot.problems() == []
    assert "aten::relu" in snapshot.op_tables
    return snapshot


def test_replaced_torch_function_is_reported(integrity: TorchIntegrity, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch, "relu", lambda x: x)
    assert any("torch.relu" in p for p in integrity.problems())
    monkeypatch.undo()
    assert integrity.problems() == []


def test_attribute_added_to_tensor_class_is_reported(integrity: TorchIntegrity,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.Tensor, "kw_shadow", lambda self: self, raising=False)
    assert any("Tensor.kw_shadow" in p for p in integrity.problems())


def test_active_function_mode_is_reported(integrity: TorchIntegrity) -> None:
    mode = TorchFunctionMode()
    mode.__enter__()
    try:
        assert any("TorchFunctionMode" in p for p in integrity.problems())
    finally:
        mode.__exit__(None, None, None)
    assert integrity.problems() == []


def test_global_module_hook_is_reported(integrity: TorchIntegrity) -> None:
    handle = torch.nn.modules.module.register_module_forward_hook(lambda module, args, out: out)
    try:
        assert any("global nn.Module hook" in p for p in integrity.problems())
    finally:
        handle.remove()
    assert integrity.problems() == []


def test_default_dtype_change_is_reported(integrity: TorchIntegrity) -> None:
    torch.set_default_dtype(torch.float64)
    try:
        assert any("default dtype" in p for p in integrity.problems())
    finally:
        torch.set_default_dtype(torch.float32)


def test_replaced_harness_function_is_reported() -> None:
    harness = types.ModuleType("fake_harness")
    harness.compare = lambda: None  # type: ignore[attr-defined]
    snapshot = TorchIntegrity(lambda: None, [harness])
    harness.compare = lambda: "always equal"  # type: ignore[attr-defined]
    assert any("fake_harness.compare" in p for p in snapshot.problems())


# --- SandboxGuard -----------------------------------------------------------------------------------


@pytest.fixture
def guard(tmp_path: Path) -> SandboxGuard:
    (tmp_path / "private").mkdir()
    armed = SandboxGuard([tmp_path / "private"])
    armed.armed = True
    return armed


def test_guard_allows_its_private_dir_and_reads(guard: SandboxGuard, tmp_path: Path) -> None:
    guard.hook("open", (str(tmp_path / "private" / "scratch.bin"), "w", 0))
    guard.hook("open", ("/etc/hostname", "r", 0))
    guard.hook("open", ("/proc/self/status", "r", 0))
    guard.hook("open", (f"/proc/{os.getpid()}/task", "r", 0))
    assert guard.violations == []


@pytest.mark.parametrize(("event", "args", "what"), [
    ("open", ("OUTSIDE/escaped.txt", "w", 0), "outside its directory"),
    ("open", ("OUTSIDE/escaped.txt", None, os.O_WRONLY | os.O_CREAT), "outside its directory"),
    ("open", ("/proc/1/environ", "r", 0), "another process"),
    ("os.fork", (), "process"),
    ("subprocess.Popen", ("sh", ["sh"], None, None), "process"),
    ("socket.connect", (None, ("127.0.0.1", 80)), "network"),
    ("os.remove", ("OUTSIDE/file",), "file system"),
])
def test_guard_blocks_and_records(guard: SandboxGuard, tmp_path: Path, event: str, args: tuple, what: str) -> None:
    args = tuple(a.replace("OUTSIDE", str(tmp_path)) if isinstance(a, str) else a for a in args)
    with pytest.raises(PermissionError, match="sandbox"):
        guard.hook(event, args)
    assert guard.violations and what in guard.violations[0]


def test_guard_is_off_only_while_the_harness_builds(guard: SandboxGuard, tmp_path: Path) -> None:
    with guard.building():
        guard.hook("os.fork", ())
    assert guard.violations == []
    with pytest.raises(PermissionError):
        guard.hook("os.fork", ())


# --- plain build arguments --------------------------------------------------------------------------


def test_plain_copies_candidate_subclasses_into_builtins() -> None:
    class Sneaky(str):
        def __repr__(self) -> str:
            raise AssertionError("candidate code ran")

    class SneakyList(list):
        pass

    copied = plain([Sneaky("name"), SneakyList([Sneaky("f")]), {"k": Sneaky("doc")}, 3, 1.5, True, None])
    assert copied == ["name", ["f"], {"k": "doc"}, 3, 1.5, True, None]
    assert type(copied[0]) is str and type(copied[1]) is list and type(copied[1][0]) is str
    repr(copied)  # no candidate __repr__ left to run


def test_plain_refuses_other_objects() -> None:
    with pytest.raises(TypeError, match="load_inline arguments"):
        plain([object()])


def test_guard_lets_the_platforms_driver_libraries_load(tmp_path: Path) -> None:
    """A GPU runtime loads its driver with ctypes (Triton's driver check, NVML): those names pass, nothing else,
    and not a look-alike the runner wrote itself."""
    (tmp_path / "private").mkdir()
    guard = SandboxGuard([tmp_path / "private"], loadable=("libcuda.so", "libnvidia-ml.so"))
    guard.armed = True
    guard.hook("ctypes.dlopen", ("libcuda.so.1",))
    guard.hook("ctypes.dlopen", ("/usr/local/nvidia/lib64/libcuda.so.1",))
    guard.hook("ctypes.dlopen", (b"libnvidia-ml.so.1",))
    assert guard.violations == []
    for name in ("libc.so.6", str(tmp_path / "private" / "libcuda.so.1"), None):
        with pytest.raises(PermissionError):
            guard.hook("ctypes.dlopen", (name,))
    assert len(guard.violations) == 3
