"""The service against hostile submitters: operators that attack from their module-level code, parallel submits
that race the job cap, a flood of operator checks, and requests the service must answer without leaking.

Every operator below is checked in the jail. The tests look at what matters to the host: the answer's text holds
no host file and no secret, nothing is left behind, and the caps hold under concurrency.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import kernelwright.server.api as api
from kernelwright.agent.runner import OptimizeConfig, load_config_task
from kernelwright.db import Store
from kernelwright.server.app import create_app
from kernelwright.server.redact import redact
from kernelwright.settings import ServeSettings
from kernelwright.tasks.hashing import sha256_text
from kernelwright.tasks.loader import _probe_cache, _probe_cache_file

REPO = Path(__file__).resolve().parents[2]
HOSTILE = REPO / "tests" / "adversarial" / "tasks"
MAX_POOL = (REPO / "tasks/suite/pooling/max_pool2d.py").read_text(encoding="utf-8")


def _judges_environment() -> list[str]:
    """Values of this process's real environment (what /proc/PID/environ would give away), long enough to spot."""
    raw = Path("/proc/self/environ").read_bytes().split(b"\0")
    values = [entry.partition(b"=")[2].decode(errors="replace") for entry in raw if b"=" in entry]
    return [v for v in values if len(v) >= 12 and "/" not in v[:1]]


def _shadow() -> list[str]:
    try:
        return [line for line in Path("/etc/shadow").read_text().splitlines() if line.strip()]
    except OSError:
        return []


def _assert_clean(text: str) -> None:
    for value in _judges_environment():
        assert value not in text, "a value of the service's environment leaked"
    for line in _shadow():
        assert line not in text, "a line of /etc/shadow leaked"


@pytest.fixture(scope="module")
def service_env() -> Iterator[Path]:
    """Ray without auth in a short temp dir (its socket paths must fit 107 bytes), and a folder for the stores."""
    ray_tmp = tempfile.mkdtemp(prefix="kwray", dir="/tmp")
    data = Path(tempfile.mkdtemp(prefix="kwhostile-"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAY_AUTH_MODE", "disabled")
        mp.setenv("RAY_TMPDIR", ray_tmp)
        yield data
    shutil.rmtree(ray_tmp, ignore_errors=True)
    shutil.rmtree(data, ignore_errors=True)


def _client(db_url: str, **settings: object) -> TestClient:
    base = dict(providers=["examples"], max_trajectories=1, max_turns=1, max_body_bytes=64 * 1024)
    return TestClient(create_app(ServeSettings(**{**base, **settings}), db_url))  # type: ignore[arg-type]


def _token(db_url: str, name: str) -> dict[str, str]:
    with Store(db_url) as store:
        return {"Authorization": f"Bearer {store.create_api_token(name)[1]}"}


def test_hostile_operators_get_a_422_that_carries_nothing_of_the_host(service_env: Path) -> None:
    db_url = f"sqlite:///{service_env / 'a.db'}"
    auth = _token(db_url, "mallory")
    with _client(db_url) as client:
        for name in ("hostile_shadow", "hostile_environ"):
            response = client.post("/v1/optimize", json={"source": (HOSTILE / f"{name}.py").read_text(),
                                                         "name": name}, headers=auth)
            assert response.status_code == 422, response.text
            _assert_clean(response.text)


def test_operator_code_at_import_leaves_nothing_on_the_host(service_env: Path, tmp_path: Path) -> None:
    db_url = f"sqlite:///{service_env / 'b.db'}"
    auth = _token(db_url, "mallory")
    mark = tmp_path / "marks"
    mark.mkdir()
    source = (HOSTILE / "hostile_marker.py").read_text().replace("/tmp/kw-adversarial-marker", str(mark))
    with _client(db_url) as client:
        created = client.post("/v1/optimize", json={"source": source, "name": "marker"}, headers=auth)
        assert created.status_code == 202, created.text  # an honest-looking task: it is checked, and queued
        job_id = created.json()["job_id"]
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and client.get(f"/v1/jobs/{job_id}").json()["status"] not in (
                "finished", "failed"):
            time.sleep(0.5)
        _assert_clean(client.get(f"/v1/jobs/{job_id}").text)
    # A resume checks the task again (it may have been stored by another version of the service): forget the
    # remembered check and load the stored run's task as a resume does.
    with Store(db_url) as store:
        config = OptimizeConfig.model_validate(store.get_run(job_id).config["optimize"])  # type: ignore[union-attr]
    digest = sha256_text(config.task_source)
    _probe_cache.pop(digest, None)
    _probe_cache_file(digest).unlink(missing_ok=True)
    load_config_task(config)
    assert list(mark.iterdir()) == [], "operator code left files on the host"


def test_parallel_submits_cannot_pass_the_job_cap_together(service_env: Path) -> None:
    db_url = f"sqlite:///{service_env / 'c.db'}"
    auth = _token(db_url, "racer")
    with _client(db_url, max_queued_per_token=2, max_running_jobs=1) as client:
        # Distinct sources, so each submit runs its (slow) check, as in the attack; 8 at once.
        run = uuid.uuid4().hex  # sources no earlier run has probed (passing probes are remembered by hash)
        bodies = [{"source": MAX_POOL + f"\n# variant {i} {run}\n", "name": f"race{i}"} for i in range(8)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            codes = list(pool.map(lambda b: client.post("/v1/optimize", json=b, headers=auth).status_code, bodies))
    assert 1 <= codes.count(202) <= 2, codes
    assert codes.count(429) == len(codes) - codes.count(202), codes  # every other submit was turned away


def test_operator_checks_run_a_few_at_a_time(service_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db_url = f"sqlite:///{service_env / 'd.db'}"
    running, most = 0, 0
    lock = threading.Lock()
    real_probe = api.probe

    def counting_probe(*args: object, **kwargs: object) -> object:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            return real_probe(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(api, "probe", counting_probe)
    monkeypatch.setattr(api, "PROBE_WAIT_S", 0.2)
    with _client(db_url, max_queued_per_token=50) as client:
        tokens = [_token(db_url, f"user{i}") for i in range(6)]
        run = uuid.uuid4().hex  # sources no earlier run has probed (passing probes are remembered by hash)
        bodies = [{"source": MAX_POOL + f"\n# flood {i} {run}\n", "name": f"flood{i}"} for i in range(6)]
        with ThreadPoolExecutor(max_workers=6) as pool:
            responses = list(pool.map(lambda pair: client.post("/v1/optimize", json=pair[0], headers=pair[1]),
                                      zip(bodies, tokens)))
    assert most <= 2, f"{most} operator checks ran at once"
    busy = [r for r in responses if r.status_code == 429]
    assert busy and all("checking other operators" in r.json()["detail"] for r in busy)
    assert all(r.headers.get("retry-after") for r in busy)


def test_a_bad_basic_header_is_a_401_not_a_500(service_env: Path) -> None:
    db_url = f"sqlite:///{service_env / 'e.db'}"
    with _client(db_url, public_read=False) as client:
        for value in (b"Basic \xff\xfe\xfd", b"Basic w6nDqQ==", b"Basic !!!", b"Basic"):
            response = client.get("/v1/info", headers={"Authorization": value})  # type: ignore[dict-item]
            assert response.status_code == 401, (value, response.status_code, response.text)


def test_the_llm_endpoint_never_appears_in_a_job(service_env: Path) -> None:
    db_url = f"sqlite:///{service_env / 'f.db'}"
    auth = _token(db_url, "alice")
    endpoint = "http://127.0.0.1:9/v1"  # nothing listens there: the provider's check fails and says where
    with _client(db_url, providers=["openai"], base_url=endpoint) as client:
        created = client.post("/v1/optimize", json={"task_id": "pooling/max_pool2d"}, headers=auth)
        assert created.status_code == 202, created.text
        job_id = created.json()["job_id"]
        deadline = time.monotonic() + 120
        job = client.get(f"/v1/jobs/{job_id}").json()
        while time.monotonic() < deadline and job["status"] not in ("finished", "failed"):
            time.sleep(0.3)
            job = client.get(f"/v1/jobs/{job_id}").json()
        assert job["status"] == "failed", job
        for body in (client.get(f"/v1/jobs/{job_id}").text, client.get(f"/runs/{job_id}").text,
                     client.get("/v1/jobs").text):
            assert "127.0.0.1:9" not in body


@pytest.mark.parametrize(("text", "expected"), [
    ("GET /v1/tasks answered 500", "GET /v1/tasks answered 500"),
    ("error in /tmp/kw-build-1a2b/main.cpp:12: x", "error in main.cpp:12: x"),
    ("cannot reach http://10.1.2.3:8000/v1: refused", "cannot reach <endpoint>: refused"),
    ("see ~/secrets/key.txt", "see key.txt"),
])
def test_redaction_keeps_routes_and_hides_paths_and_urls(text: str, expected: str) -> None:
    assert redact(text) == expected
