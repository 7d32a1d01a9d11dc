"""`kernelwright serve` as a team deploys it: a real PostgreSQL store upgraded with `kernelwright db upgrade`,
a token from `kernelwright tokens create`, the server as its own process on Ray. An operator is submitted over
HTTP with the `examples` provider, a real Chromium watches its run page until it is finished, and the kernel is
fetched over the API."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from kernelwright.db.engine import head_revision

REPO = Path(__file__).resolve().parents[2]
MAX_POOL = (REPO / "tasks/suite/pooling/max_pool2d.py").read_text(encoding="utf-8")
START_S, JOB_S = 120.0, 300.0

pytestmark = [pytest.mark.postgres, pytest.mark.browser, pytest.mark.slow]


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kernelwright.cli", *args], capture_output=True, text=True,
                          env=env, timeout=300)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(url: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "kernelwright.cli", "serve", "--port", str(port), "--db-url", url,
                             "--provider", "examples", "--workers", "1"], env=env, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT)


def _wait_up(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{base}/v1/info", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    pytest.fail(f"the server did not answer within {START_S:.0f} s:\n{log.read_text(errors='replace')}")


def _badge(browser: Any) -> str:
    """The run's status badge as shown; the page may be reloading itself right then."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        return str(browser.find_element(By.CSS_SELECTOR, "h1 .badge").text)
    except (NoSuchElementException, StaleElementReferenceException):
        return "running"


def _stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(10)


def test_submit_over_http_watch_in_the_browser_fetch_the_kernel(postgres_url: str, ray_env: dict[str, str],
                                                                 browser: Any, artifacts_dir: Path,
                                                                 tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    env = {**ray_env, "KERNELWRIGHT_HOME": str(tmp_path / "home")}
    log = tmp_path / "serve.log"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"

    # A service never changes a shared schema by starting: on an empty database it says what to run.
    refused = _serve(postgres_url, port, env, log)
    assert refused.wait(120) != 0
    assert "kernelwright db upgrade" in log.read_text(errors="replace")

    upgraded = _cli("db", "upgrade", "--db-url", postgres_url, env=env)
    assert upgraded.returncode == 0 and f"-> {head_revision()}" in upgraded.stdout, upgraded.stdout + upgraded.stderr
    created = _cli("tokens", "create", "alice", "--db-url", postgres_url, env=env)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()

    server = _serve(postgres_url, port, env, log)
    try:
        _wait_up(base, server, log)
        body = {"source": MAX_POOL, "name": "my_pool", "provider": "examples", "trajectories": 1, "turns": 1}
        response = httpx.post(f"{base}/v1/optimize", json=body, headers={"Authorization": f"Bearer {token}"},
                              timeout=120)
        assert response.status_code == 202, response.text
        job = response.json()

        # Watch it in the browser: the run page keeps itself current until the job is done.
        browser.get(base + job["page_url"])
        deadline = time.monotonic() + JOB_S
        while (shown := _badge(browser)) != "finished":
            assert shown in ("queued", "running", ""), f"the page says {shown!r}:\n{log.read_text(errors='replace')}"
            assert time.monotonic() < deadline, f"not finished in {JOB_S:.0f} s:\n{log.read_text(errors='replace')}"
            time.sleep(1.0)
        page = browser.find_element(By.TAG_NAME, "body").text
        assert job["task_id"] in page
        browser.save_screenshot(str(artifacts_dir / "serve_e2e_run_page.png"))

        status = httpx.get(f"{base}{job['status_url']}", timeout=30).json()
        run = httpx.get(f"{base}/v1/runs/{job['job_id']}", timeout=30).json()
        judged = run["trajectories"][0]["turns"][0]["kernel"]
        # A loaded machine may leave the timing unsettled (`unstable`): correct, but no speedup is claimed.
        assert status["status"] == "finished" and judged["status"] in ("correct", "unstable"), judged
        assert judged["status"] in page
        kernel = httpx.get(f"{base}{judged['url']}", timeout=30).json()
        assert "class ModelNew" in kernel["source"] and kernel["evaluations"][0]["harness_version"]
        if status["best"] is not None:  # the page shows the best kernel's code
            assert kernel["source"] == status["best_source"] and "class ModelNew" in page
    finally:
        code = _stop(server)
    assert code == 0, log.read_text(errors="replace")
