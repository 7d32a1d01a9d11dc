"""Which kernels an export takes: kernel ids or run ids (a run gives its answer), each swept before it ships."""

from __future__ import annotations

import io
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

from kernelwright.agent.export.kernels import ExportedKernel
from kernelwright.agent.export.package import export_package
from kernelwright.agent.export.sources import ExportError
from kernelwright.agent.summary import summarize_run
from kernelwright.agent.sweep import load_kernel, run_sweep, stored_envelope
from kernelwright.db.store import Store
from kernelwright.evaluator.request import EvalOptions
from kernelwright.evaluator.result import EvalResult
from kernelwright.tasks.sweep import SweepPoint


def kernel_ids(store: Store, refs: list[str]) -> list[tuple[int, str | None]]:
    """(kernel id, run id) for each reference: a number is a kernel id, anything else a run whose answer is taken."""
    found: list[tuple[int, str | None]] = []
    for ref in refs:
        if ref.isdigit():
            found.append((int(ref), None))
            continue
        try:
            summary = summarize_run(store, ref)
        except LookupError as exc:
            raise ExportError(str(exc)) from exc
        if summary.answer is None:
            raise ExportError(f"run {ref} has no answer (no kernel verified faster); export a kernel id instead")
        found.append((summary.answer.candidate_id, ref))
    return found


def collect_kernels(store: Store, refs: list[str], *, sweep_limit: int = 8, options: EvalOptions | None = None,
                    on_point: Callable[[SweepPoint, EvalResult], None] | None = None,
                    sweep_missing: bool = True) -> list[ExportedKernel]:
    """The kernels `refs` name with their envelopes; a kernel never swept is swept first (`sweep_limit` points),
    or refused with `ExportError` when `sweep_missing` is off."""
    kernels = []
    for kernel_id, run_id in kernel_ids(store, refs):
        kernel = load_kernel(store, kernel_id)
        rows = store.sweep_for_kernel(kernel_id, kernel.platform)
        if not rows and not sweep_missing:
            raise ExportError(f"kernel {kernel_id} was never swept: `kernelwright sweep {kernel_id}` first")
        if not rows:
            rows = run_sweep(store, kernel_id, limit=sweep_limit, options=options, on_point=on_point)
        hardware = next((r.result.hardware for r in rows if r.result.hardware), None)
        kernels.append(ExportedKernel(kernel=kernel, envelope=stored_envelope(store, kernel_id, kernel.platform),
                                      hardware=hardware, run_id=run_id))
    return kernels


def package_archive(store: Store, kernel_id: int) -> tuple[str, bytes]:
    """(file name, bytes) of a `.tar.gz` of the package for a swept kernel; `ExportError` when it cannot be made."""
    kernels = collect_kernels(store, [str(kernel_id)], sweep_missing=False)
    with tempfile.TemporaryDirectory(prefix="kw-export-") as tmp:
        written = export_package(kernels, Path(tmp) / "package")
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            archive.add(written.path, arcname=written.package)
    return f"{written.package}.tar.gz", buffer.getvalue()
