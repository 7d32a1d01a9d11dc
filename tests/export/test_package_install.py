"""An exported package installs and tests like any package: `pip install --no-build-isolation "./pkg[test]"` into a
throwaway venv, then `python -m pytest` in its root and `python -m <package>.check` there.

The venv sees this interpreter's packages (torch, pytest) through a `.pth` file, so nothing is downloaded; the
package itself is built by pip from its setup.py, with the flags the evaluator measured.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from agent.export.envelope import PointVerdict, envelope_of
from agent.export.kernels import ExportedKernel
from agent.export.package import export_package
from agent.sweep import KernelToSweep
from evaluator.build.cpp import measured_flags
from evaluator.result import Status
from tasks.loader import load_task

pytestmark = [pytest.mark.slow, pytest.mark.integration]
SUITE = Path(__file__).resolve().parents[2] / "tasks" / "suite" / "activation"


def _run(args: list[str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(args, capture_output=True, text=True, cwd=cwd, timeout=timeout)
    assert proc.returncode == 0, f"{args}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _venv(where: Path) -> Path:
    """A fresh venv that also sees this interpreter's site-packages (torch, pytest), without downloading."""
    _run([sys.executable, "-m", "venv", "--system-site-packages", str(where)], where.parent)
    python = where / "bin" / "python"
    # The venv's own setuptools (65, from ensurepip) predates the built-in bdist_wheel; this one's is current.
    _run([str(python), "-m", "pip", "uninstall", "-q", "-y", "setuptools"], where.parent)
    purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   where.parent).stdout.strip()
    (Path(purelib) / "_kernelwright_parent.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def test_a_package_installs_with_its_test_extra_and_passes_its_own_tests(tmp_path: Path) -> None:
    task = load_task(SUITE / "relu.py")
    source = (SUITE / "solutions" / "relu.cpu.py").read_text()
    points = [PointVerdict(label=label, constants=constants, input_shapes=[shape], input_dtypes=["float32"],
                           status=Status.correct, speedup=1.5, speedup_ci=(1.2, 1.8))
              for label, constants, shape in (("task", {}, [192, 16384]), ("BATCH/2", {"BATCH": 96}, [96, 16384]))]
    kernel = ExportedKernel(kernel=KernelToSweep(candidate_id=7, platform="cpu", source=source, task=task),
                            envelope=envelope_of(points, "cpu"), hardware="some cpu (2 cores, 2 threads used)")
    package = tmp_path / "pkg"
    export_package([kernel], package)
    python = _venv(tmp_path / "venv")

    _run([str(python), "-m", "pip", "install", "-q", "--no-build-isolation", f"{package}[test]"], tmp_path)
    tests = _run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"], package)
    assert "3 passed" in tests.stdout, tests.stdout

    checked = json.loads(_run([str(python), "-m", "kw_relu.check", "--json", "--rounds", "5"], tmp_path).stdout)
    low, high = checked["interval"]
    assert low <= checked["speedup"] <= high and checked["fallbacks"] == {}
    assert checked["evaluator"] == {"speedup": 1.5, "speedup_ci": [1.2, 1.8]}
    build = checked["build"]
    # Built here, where it was exported: every assumed feature is present, so the measured flags are used as they are;
    # the CPU is not the one named as measured, so no claim is made for it.
    assert build["measured_flags"] and not build["measured_here"] and "not measured here" in build["note"]
    assert build["flags"] == {"kw_relu._ext_relu_ext": measured_flags([], [])[0]}
    words = _run([str(python), "-m", "kw_relu.check", "--rounds", "3"], tmp_path).stdout
    assert "95% interval" in words and "verdict:" in words
