"""A plain local `kernelwright optimize`: Ray listens on 127.0.0.1 only, and its token authentication works
without the user setting anything, printing no notice and writing no ~/.ray/auth_token."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def _listening(pid: int) -> set[str]:
    """The addresses the process `pid` and its descendants (Ray's GCS, raylet, workers) listen on."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return set()
    found: set[str] = set()
    for proc in procs:
        try:
            found |= {c.laddr.ip for c in proc.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue  # ended between the listing and the look
    return found


def _loopback(ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 from a dual-stack socket
    return (mapped or address).is_loopback


def test_local_optimize_listens_on_loopback_only_and_needs_no_auth_setup(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    ray_tmp = tempfile.mkdtemp(prefix="kwlo", dir="/tmp")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}  # nothing Ray-specific set by the user
    env.update(HOME=str(home), RAY_TMPDIR=ray_tmp, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "kernelwright.cli", "optimize", "--config",
                             str(REPO / "configs" / "optimize-offline.yaml"), "--db-url", f"sqlite:///{tmp_path}/kw.db",
                             "--out", str(tmp_path / "best.py")], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    seen: set[str] = set()
    deadline = time.monotonic() + 900
    while proc.poll() is None and time.monotonic() < deadline:
        seen |= _listening(proc.pid)  # what `ss -ltn` would show for this run's processes
        time.sleep(0.2)
    out, _ = proc.communicate(timeout=60)
    leftovers = subprocess.run(["pgrep", "-f", ray_tmp], capture_output=True, text=True).stdout.split()
    assert proc.returncode == 0, out[-3000:]
    assert seen, "no Ray process was seen listening"
    assert all(_loopback(ip) for ip in seen), seen
    assert "Token authentication" not in out and "auth_token" not in out, out[-3000:]
    assert not (home / ".ray").exists()
    assert leftovers == [], "Ray processes outlived the CLI"
