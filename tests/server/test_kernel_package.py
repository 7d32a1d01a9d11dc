"""A swept kernel through the service: its page and `GET /v1/kernels/{id}` show the sweep, and
`GET /v1/kernels/{id}/package` hands out the export as an archive (real app, Ray and SQLite store).

The sweep verdicts are recorded directly (what `kernelwright sweep` stores): this is about what the service makes
of them; the sweep itself is tested end to end in tests/export/.
"""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kernelwright.db import Store
from kernelwright.evaluator.result import EvalResult, Reason, Stage, Status
from kernelwright.server.app import create_app
from kernelwright.settings import ServeSettings
from kernelwright.tasks.loader import load_task

REPO = Path(__file__).resolve().parents[2]


def _verdict(status: Status, ci: tuple[float, float] | None) -> EvalResult:
    return EvalResult(status=status, reason=Reason.ok if status is Status.correct else Reason.output_mismatch,
                      stage=Stage.done, speedup=None if ci is None else sum(ci) / 2, speedup_ci=ci,
                      platform="cpu", hardware="test machine")


@pytest.fixture()
def client_and_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, int, int]]:
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    monkeypatch.setenv("RAY_TMPDIR", tempfile.mkdtemp(prefix="kwray", dir="/tmp"))
    db_url = f"sqlite:///{tmp_path / 'store.db'}"
    store = Store(db_url)
    task = load_task(REPO / "tasks/suite/activation/relu.py")
    store.upsert_task(task)
    source = (REPO / "tasks/suite/activation/solutions/relu.cpu.py").read_text()
    swept = store.add_candidate(task.id, source, "cpu")
    never = store.add_candidate(task.id, source.replace("-O3", "-O2"), "cpu")
    store.record_sweep_point(swept, "cpu", "task", {}, _verdict(Status.correct, (1.2, 1.5)), [[192, 16384]],
                             ["float32"])
    store.record_sweep_point(swept, "cpu", "odd", {"BATCH": 193, "DIM": 16385}, _verdict(Status.incorrect, None),
                             [[193, 16385]], ["float32"])
    store.record_sweep_point(swept, "cpu", "BATCH/2", {"BATCH": 96}, _verdict(Status.correct, (0.8, 1.1)),
                             [[96, 16384]], ["float32"])
    store.record_sweep_point(swept, "cpu", "DIMx2", {"BATCH": 384, "DIM": 32768}, _verdict(Status.correct, (1.1, 1.3)),
                             [[384, 32768]], ["float32"])
    app = create_app(ServeSettings(providers=["examples"]), db_url)  # type: ignore[call-arg]
    with TestClient(app) as client:
        yield client, swept, never


def test_a_swept_kernel_is_shown_and_downloadable(client_and_ids: tuple[TestClient, int, int]) -> None:
    client, swept, never = client_and_ids
    view = client.get(f"/v1/kernels/{swept}").json()
    assert [p["label"] for p in view["sweep"]] == ["task", "odd", "BATCH/2", "DIMx2"]
    assert view["package_url"] == f"/v1/kernels/{swept}/package"
    assert any("multiple of 2" in line for line in view["envelope"])
    page = client.get(f"/kernels/{swept}").text
    assert 'id="sweep"' in page and view["package_url"] in page

    response = client.get(view["package_url"])
    assert response.status_code == 200 and response.headers["content-type"] == "application/gzip"
    with tarfile.open(fileobj=io.BytesIO(response.content), mode="r:gz") as archive:
        names = archive.getnames()
        spec = json.load(archive.extractfile("kw_relu/src/kw_relu/export.json"))  # type: ignore[arg-type]
    assert {"kw_relu/setup.py", "kw_relu/build.json", "kw_relu/README.md",
            "kw_relu/tests/test_exported_op.py"} <= set(names)
    assert all(not n.startswith(("/", "..")) for n in names)
    assert spec["faster_points"] == ["p_DIMx2", "p_task"] and spec["kernels"]["cpu"]["kernel_id"] == swept

    assert client.get(f"/v1/kernels/{never}").json()["package_url"] is None
    refused = client.get(f"/v1/kernels/{never}/package")
    assert refused.status_code == 409 and "never swept" in refused.text
    assert client.get("/v1/kernels/999/package").status_code == 404
