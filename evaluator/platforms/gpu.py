"""What the GPU platforms (`cuda`, `triton`) share: the device, its sync, hardware and peaks.

Without a GPU these platforms still check what they can (see `Verification`): the device is then the CPU,
nothing is timed and no peaks are measured. `python -m evaluator.platforms.gpu` measures the device's
peak bandwidth and FLOP rate and prints them as JSON; the parent runs it once per device and caches the
answer, so the evaluator process itself never holds a CUDA context.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from abc import abstractmethod
from collections.abc import Callable
from functools import cache

import torch

from kernelwright.evaluator.build.cache import cache_root, content_key
from kernelwright.evaluator.jail.view import package_roots
from kernelwright.evaluator.platforms.base import HardwareInfo, Peaks, Platform
from kernelwright.evaluator.platforms.cpu import cpu_model
from kernelwright.evaluator.platforms.peaks import PeakCache
from kernelwright.evaluator.result import Verification
from kernelwright.tasks.model import Task
from kernelwright.tasks.sizes import DEFAULT_SIZE

PEAKS_TIMEOUT_S = 300.0
# What a jailed runner reads about the GPU besides its device nodes (/proc/driver/nvidia comes with the jail's own
# /proc).
GPU_SYS = ("/sys/bus/pci", "/sys/devices", "/sys/module/nvidia")


@cache
def _gpu_minor_numbers() -> tuple[str, ...] | None:
    """The /dev/nvidiaN minors of the GPUs CUDA_VISIBLE_DEVICES names (None: every GPU, or unknown)."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if not visible:
        return None
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=index,uuid,minor_number", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    wanted = {v.strip() for v in visible.split(",") if v.strip()}
    minors = []
    for line in out.splitlines():
        index, uuid, minor = (part.strip() for part in line.split(",")[:3])
        if index in wanted or uuid in wanted:
            minors.append(minor)
    return tuple(minors) if minors else None


def gpu_device_nodes() -> list[str]:
    """The NVIDIA device nodes (only the evaluator's own GPU where CUDA_VISIBLE_DEVICES says which), the
    capabilities folder last."""
    minors = _gpu_minor_numbers()
    nodes = [p for p in glob.glob("/dev/nvidia*") if not p.removeprefix("/dev/nvidia").isdigit()
             or minors is None or p.removeprefix("/dev/nvidia") in minors]
    found = [p for p in sorted(nodes) if not os.path.isdir(p)]
    return found + (["/dev/nvidia-caps"] if os.path.isdir("/dev/nvidia-caps") else [])


@cache
def cuda_available() -> bool:
    """Whether this process can use an NVIDIA GPU through torch (cached: it can't change while we run)."""
    return torch.cuda.is_available() and torch.version.cuda is not None


class GpuPlatform(Platform):
    """Shared device handling for platforms whose kernels run on an NVIDIA GPU."""

    needs_gpu = True

    def __init__(self) -> None:
        # Row 11: the runner's references to the device sync and events, taken when the platform is made (before
        # any candidate code loads) and compared again after each candidate call: a tripwire, since the judge's
        # clock is what times the runner.
        self.native = cuda_available()
        self._sync = torch.cuda.synchronize
        self._event = torch.cuda.Event

    @property
    def limit_address_space(self) -> bool:  # type: ignore[override]
        return not self.native

    def verification(self) -> Verification:
        return Verification.native if self.native else self.fallback_verification()

    driver_libraries = ("libcuda.so", "libnvidia-ml.so")

    def warm_device(self) -> None:
        """Create the CUDA context and touch the device, so that the runtime's lazy start (which loads the
        driver's libraries) is done before the runner's audit hook is armed."""
        if self.native:
            torch.cuda.init()
            torch.empty(1, device="cuda").add_(1)
            torch.cuda.synchronize()

    def device_nodes(self) -> list[str]:
        """The GPU's device nodes when this machine has one."""
        return gpu_device_nodes() if self.native else []

    def device_info(self) -> list[str]:
        """The PCI bus and the driver's module facts when this machine has a GPU."""
        return list(GPU_SYS) if self.native else []

    def runner_env(self) -> dict[str, str]:
        # Images that find the driver's libraries (libcuda) by LD_LIBRARY_PATH rather than the loader's cache: the
        # runner needs the same path. Only folders the jail shows (under /usr) resolve inside it.
        path = os.environ.get("LD_LIBRARY_PATH")
        return {"LD_LIBRARY_PATH": path} if path and self.native else {}

    @abstractmethod
    def fallback_verification(self) -> Verification:
        """What this platform checks on a machine without a GPU."""

    @property
    def device(self) -> torch.device:
        return torch.device("cuda") if self.native else torch.device("cpu")

    def default_size(self, task: Task) -> str:
        """`gpu` on a GPU, `small` where kernels are interpreted or only compiled; the CPU size when undefined."""
        wanted = "gpu" if self.native else "small"
        return wanted if wanted in task.sizes else DEFAULT_SIZE

    def hardware(self) -> HardwareInfo:
        if not self.native:
            model = cpu_model()
            how = self.verification().value
            return HardwareInfo(fingerprint=content_key("no-gpu", model, how), description=f"no GPU ({how} on {model})",
                                details={"cpu": model, "torch": torch.__version__, "verification": how})
        props = torch.cuda.get_device_properties(torch.cuda.current_device())
        cap = f"{props.major}.{props.minor}"
        memory_gb = round(props.total_memory / 1024**3, 1)
        details: dict[str, str | int | float] = {
            "gpu": props.name, "capability": cap, "memory_gb": memory_gb, "sms": props.multi_processor_count,
            "l2_bytes": int(getattr(props, "L2_cache_size", 0)), "torch": torch.__version__,
            "cuda": str(torch.version.cuda)}
        return HardwareInfo(fingerprint=content_key(props.name, cap, str(props.total_memory), str(torch.version.cuda)),
                            description=f"{props.name} (sm_{props.major}{props.minor}, {memory_gb} GB)",
                            details=details)

    def prepare(self) -> None:
        if self.native:
            self.peaks()

    def _peak_cache(self) -> PeakCache:
        return PeakCache(cache_root() / "peaks" / f"gpu-{self.hardware().fingerprint}.json", _measure_in_subprocess)

    def peaks(self) -> Peaks | None:
        """Measured peaks of this GPU, cached per device; None without a GPU (nothing is timed then)."""
        return self._peak_cache().get() if self.native else None

    def refresh_peaks(self) -> Peaks | None:
        return self._peak_cache().refresh() if self.native else None

    def synchronize(self) -> None:
        """Wait for every stream on the device (a no-op without a GPU)."""
        if self.native:
            self._sync()

    def timer_problems(self) -> str | None:
        if torch.cuda.synchronize is not self._sync or torch.cuda.Event is not self._event:
            return "the candidate replaced torch.cuda.synchronize or torch.cuda.Event"
        return None


def _measure_in_subprocess() -> Peaks:
    """The device's peaks, measured in a process of its own (it must not hold this one's CUDA context)."""
    proc = subprocess.run([sys.executable, "-m", "kernelwright.evaluator.platforms.gpu"], capture_output=True,
                          text=True, timeout=PEAKS_TIMEOUT_S, cwd=package_roots()[0])
    if proc.returncode != 0:
        raise RuntimeError(f"measuring the GPU's peak rates failed: {proc.stderr.strip()[-2000:]}")
    return Peaks.model_validate_json(proc.stdout.strip().splitlines()[-1])


def _best_seconds(fn: Callable[[], object], repeats: int = 10) -> float:
    """The fastest of `repeats` runs, timed with CUDA events after a warm-up."""
    fn()
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(repeats):
        begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        begin.record()
        fn()
        end.record()
        end.synchronize()
        best = min(best, begin.elapsed_time(end) / 1e3)
    return best


def _copy_gbps(n: int) -> float:
    """GB/s of a device-to-device copy of `n` floats (read + write); the buffers are freed on return."""
    src = torch.rand(n, device="cuda")
    dst = torch.empty_like(src)
    return 2 * 4 * n / _best_seconds(lambda: dst.copy_(src)) / 1e9


def measure_gpu_peaks() -> Peaks:
    """Peak bandwidth (a 1 GiB device-to-device copy) and FLOP rate (the best of fp32, tf32, fp16, bf16 GEMMs).

    The FLOP peak is the fastest dtype's, tensor cores included: a candidate may legitimately use them,
    and the faster-than-physics check must never reject real work.
    """
    gbps = _copy_gbps(256 * 1024**2)
    size = 8192
    best_gflops = 0.0
    for dtype, tf32 in ((torch.float32, False), (torch.float32, True), (torch.float16, False), (torch.bfloat16, False)):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        a = torch.randn(size, size, device="cuda", dtype=dtype)
        b = torch.randn(size, size, device="cuda", dtype=dtype)

        def gemm(a: torch.Tensor = a, b: torch.Tensor = b) -> torch.Tensor:
            return torch.mm(a, b)

        best_gflops = max(best_gflops, 2 * size**3 / _best_seconds(gemm, 5) / 1e9)
    torch.backends.cuda.matmul.allow_tf32 = False
    return Peaks(gbps=gbps, gflops=best_gflops)


if __name__ == "__main__":
    if not cuda_available():
        sys.exit("no CUDA device: peaks can only be measured on a GPU")
    print(json.dumps(measure_gpu_peaks().model_dump()))
