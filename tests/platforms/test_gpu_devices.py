"""The GPU platforms' device nodes (moved from the jail's view onto the platform): only the evaluator's own GPU
where CUDA_VISIBLE_DEVICES names it, the control nodes always, nothing without a GPU."""

from __future__ import annotations

import pytest

import kernelwright.evaluator.platforms.gpu as gpu
from kernelwright.evaluator.platforms import get_platform

NODES = ["/dev/nvidia0", "/dev/nvidia1", "/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-caps"]


@pytest.fixture
def fake_dev(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gpu.glob, "glob", lambda pattern: list(NODES) if pattern == "/dev/nvidia*" else [])
    monkeypatch.setattr(gpu.os.path, "isdir", lambda path: path == "/dev/nvidia-caps")


def test_every_gpu_when_none_is_named(fake_dev: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gpu, "_gpu_minor_numbers", lambda: None)
    assert gpu.gpu_device_nodes() == ["/dev/nvidia-uvm", "/dev/nvidia0", "/dev/nvidia1", "/dev/nvidiactl",
                                      "/dev/nvidia-caps"]


def test_only_the_named_gpu(fake_dev: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gpu, "_gpu_minor_numbers", lambda: ("1",))
    assert gpu.gpu_device_nodes() == ["/dev/nvidia-uvm", "/dev/nvidia1", "/dev/nvidiactl", "/dev/nvidia-caps"]


@pytest.mark.parametrize("name", ["cuda", "triton", "pallas"])
def test_a_gpu_platform_shows_devices_only_on_a_gpu(name: str, fake_dev: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gpu, "_gpu_minor_numbers", lambda: None)
    platform = get_platform(name)
    platform.native = False
    assert platform.device_nodes() == [] and platform.device_info() == []
    platform.native = True
    assert "/dev/nvidiactl" in platform.device_nodes() and "/sys/bus/pci" in platform.device_info()
    cpu = get_platform("cpu")
    assert cpu.device_nodes() == [] and cpu.device_info() == []
