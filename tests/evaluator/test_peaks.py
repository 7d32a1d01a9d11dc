"""Peaks that stay honest: re-measured when stale or busy, kept at their best, and re-measured before a kernel is
rejected against them (an honest kernel is never called faster than physics because of a busy moment)."""

from __future__ import annotations

from pathlib import Path

from kernelwright.evaluator.platforms.base import Peaks
from kernelwright.evaluator.platforms.peaks import BUSY_RETRY_S, STALE_S, PeakCache
from kernelwright.evaluator.sanity import check_against_peaks


class Machine:
    """A fake clock, load average and measurement: `rates` are what the next measurements find."""

    def __init__(self, rates: list[float], load: float = 0.1) -> None:
        self.now, self.rates, self.load_now, self.measured = 1000.0, rates, load, 0

    def measure(self) -> Peaks:
        self.measured += 1
        rate = self.rates.pop(0) if len(self.rates) > 1 else self.rates[0]
        return Peaks(gbps=rate, gflops=rate * 10)

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.load_now = max(self.load_now - 0.2, 0.1)  # the machine quietens down

    def cache(self, path: Path) -> PeakCache:
        return PeakCache(path, self.measure, clock=lambda: self.now, load=lambda: self.load_now, sleep=self.sleep)


def test_a_busy_measurement_is_taken_again_and_only_ever_raised(tmp_path: Path) -> None:
    machine = Machine([6.0], load=2.0)
    cache = machine.cache(tmp_path / "peaks.json")
    first = cache.refresh()
    assert first.load is not None and first.load < 2.0, "it waited for a quieter moment"
    machine.rates, machine.load_now = [24.0, 20.0, 22.0], 3.0
    busy = Peaks(gbps=6.0, gflops=60.0, measured_at=machine.now, load=3.0)
    (tmp_path / "peaks.json").write_text(busy.model_dump_json())
    assert cache.get().gbps == 6.0 and machine.measured == 3, "not again on every evaluation of a busy machine"
    machine.now += BUSY_RETRY_S + 1
    again = cache.get()  # measured under load an hour ago: measured again, best of three
    assert again.gbps == 24.0 and machine.measured == 3 + 3
    machine.rates = [5.0]
    assert cache.refresh().gbps == 24.0, "a worse measurement never lowers a peak"


def test_stale_or_unrecorded_peaks_are_measured_again(tmp_path: Path) -> None:
    machine = Machine([10.0])
    path = tmp_path / "peaks.json"
    path.write_text(Peaks(gbps=5.0, gflops=50.0).model_dump_json())  # cached before time and load were recorded
    assert machine.cache(path).get().gbps == 10.0
    fresh = machine.cache(path).get()
    assert machine.measured == 3 and fresh.gbps == 10.0  # fresh and quiet: from the cache
    machine.now += STALE_S + 1
    machine.rates = [12.0]
    assert machine.cache(path).get().gbps == 12.0


def test_a_kernel_is_rejected_only_against_peaks_measured_again() -> None:
    low = Peaks(gbps=5.0, gflops=50.0)  # measured on a busy machine
    honest_s = 8e9 / 20e9  # moves 8 GB at 20 GB/s: above 3x the busy peak, under 3x the real one (24 GB/s)
    _, gbps, problem = check_against_peaks(None, 8e9, honest_s, low, lambda: Peaks(gbps=24.0, gflops=240.0))
    assert problem is None and gbps == 20.0
    _, _, problem = check_against_peaks(None, 8e9, 8e9 / 100e9, low, lambda: Peaks(gbps=24.0, gflops=240.0))
    assert problem is not None and "faster than the memory allows" in problem
