"""`toy`: a whole platform in this one file, to show that adding one needs nothing outside its own file.

A pretend accelerator simulated on the CPU: its "kernels" are strings holding a `// toy kernel` marker, it
allows NumPy (its own array library), asks for a GPU like `cuda` does, ships its kernels as Python in an exported
package, and shows runners one device node of its own. Every fact differs from `cpu`'s on purpose, so a test can
tell the declaration was read rather than a default or a name.
"""

from __future__ import annotations

import ast

from kernelwright.evaluator.platforms.base import HardwareInfo, Peaks, Platform

MARKER = "// toy kernel"


class ToyPlatform(Platform):
    name = "toy"
    kernel_language = "ToyC (a string holding `// toy kernel`)"
    prompt_language = "ToyC"
    needs_gpu = True
    no_hardware_note = "no toy accelerator here: toy kernels are only parsed, never run"
    allowed_array_modules = frozenset({"numpy"})
    exports_native_builds = False

    def device_nodes(self) -> list[str]:
        return ["/dev/toy0"]

    def device_info(self) -> list[str]:
        return ["/sys/class/toy"]

    def hardware(self) -> HardwareInfo:
        return HardwareInfo(fingerprint="toy", description="toy accelerator (simulated on the CPU)")

    def prepare(self) -> None:
        return None

    def peaks(self) -> Peaks | None:
        return None

    def has_kernel(self, tree: ast.Module, strings: list[str]) -> bool:
        return any(MARKER in text for text in strings)
