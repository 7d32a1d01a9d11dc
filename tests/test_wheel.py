"""`pip install` adds one package to site-packages, `kernelwright`, and that package works on its own.

The project's rooms are folders at its top, linked from `kernelwright/`. The wheel is built by pip from a copy of the
project's files (links kept as links), unpacked, and used from there with the checkout out of sight: the CLI judges
the suite's relu example in the jail, which must show the runner the unpacked package's rooms (real folders there,
not links).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kernelwright.evaluator.jail.bwrap import jail_problem

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[1]
ROOMS = ("tasks", "evaluator", "db", "agent", "rl")


def _project_copy(where: Path) -> Path:
    """The files git knows of (tracked, or new and not ignored), links kept as links."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source, dest = ROOT / name, where / name
        if not (source.is_symlink() or source.is_file()):
            continue  # deleted in the work tree, not yet committed
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            dest.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, dest)
    return where


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("wheel")
    source = _project_copy(base / "src")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(base / "dist"), str(source)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (built,) = (base / "dist").glob("kernelwright-*.whl")
    return built


def test_the_wheel_holds_one_top_level_package_with_every_room(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        top = {name.split("/", 1)[0] for name in names}
        entry_points = next(archive.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert {t for t in top if not t.endswith(".dist-info")} == {"kernelwright"}
    for room in ROOMS:
        assert f"kernelwright/{room}/__init__.py" in names
    assert "kernelwright/evaluator/runner/__main__.py" in names
    assert "kernelwright/tasks/suite/activation/relu.py" in names
    assert "kernelwright/db/migrations/env.py" in names
    assert any(n.startswith("kernelwright/agent/prompts/templates/") and n.endswith(".j2") for n in names)
    platform_targets = [line.split("=", 1)[1].strip() for line in entry_points.splitlines() if ":" in line
                        and "Platform" in line]
    assert platform_targets and all(t.startswith("kernelwright.evaluator.platforms.") for t in platform_targets)


@pytest.mark.skipif(jail_problem() is not None, reason=f"no jail here: {jail_problem()}")
def test_the_unpacked_wheel_judges_a_kernel_in_the_jail(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    assert not (site / "kernelwright" / "evaluator").is_symlink()
    home = tmp_path / "home"
    # -P: the working folder is not put on sys.path; PYTHONPATH's unpacked package comes before the editable one.
    env = {**os.environ, "PYTHONPATH": str(site), "KERNELWRIGHT_HOME": str(home)}
    where = subprocess.run([sys.executable, "-P", "-c", "import kernelwright.evaluator.api as a; print(a.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(site)
    proc = subprocess.run([sys.executable, "-P", "-m", "kernelwright.cli", "eval", "activation/relu", "example",
                           "--no-store", "--json"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    verdict = json.loads(proc.stdout.strip().splitlines()[-1])
    # Correct, judged in the jail: only a runner that imported the unpacked package's rooms gets this far.
    assert verdict["status"] in ("correct", "unstable") and verdict["jailed"], verdict
