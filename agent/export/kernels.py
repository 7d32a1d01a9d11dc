"""What an export takes and gives: a stored kernel with its envelope, and the package written."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from kernelwright.agent.export.envelope import Envelope
from kernelwright.agent.sweep import KernelToSweep


class ExportedKernel(BaseModel):
    """One kernel going into a package: the stored kernel, its envelope, and where it came from."""

    kernel: KernelToSweep
    envelope: Envelope
    hardware: str | None = None
    run_id: str | None = None


class ExportedPackage(BaseModel):
    """What `export_package` wrote."""

    path: Path
    package: str
    op: str
    devices: list[str]
