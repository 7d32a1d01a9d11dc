"""Row 22 on the web pages: a candidate's message (markup, a script, escape codes, bidi overrides) and an imported
task's odd id are shown escaped and inert on the kernel, run and task pages.

The pages are served by their own router over a small store of their own, with no job manager started (no Ray):
what is tested is the templates and the views the real routes hand them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from kernelwright.agent.bench.config import BenchConfig, BenchTask, Split
from kernelwright.agent.evaluators import ClusterConfig
from kernelwright.agent.providers import ProviderConfig
from kernelwright.agent.search import SearchConfig
from kernelwright.db import Store
from kernelwright.db.enums import RunKind, RunStatus, TurnOutcome
from kernelwright.evaluator.result import EvalResult, Reason, Stage, Status
from kernelwright.server import pages
from kernelwright.server.access import Access
from kernelwright.server.jobs import JobManager
from kernelwright.server.queries import TTLCache
from kernelwright.server.state import ServiceState
from kernelwright.settings import ServeSettings
from kernelwright.tasks.loader import SUITE_DIR, load_task

ESC = "\x1b"
# What a candidate's exception message may say: markup, a script, cursor and erase codes, an OSC title, a bidi
# override that shows `correct 42.00x` reversed, a zero-width space.
MESSAGE = (f"RuntimeError: [bold green]correct[/] <script>alert('kw-row22')</script> {ESC}[4A{ESC}[2K"
           f"{ESC}]0;title\a\u202ex00.24 tcerroc\u202c\u200b done")
SOURCE_MARK = "# \u202e}; return the_reference(x) {\u2066"
# An id an imported file can give a task: its name may hold '?', '#', spaces and a bidi override.
TASK_ID = "imported/odd name?x=1#frag\u202e"
FORBIDDEN = ("\x1b", "\x07", "\u202e", "\u202c", "\u2066", "\u200b", "<script>")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str, int]]:
    """A client over a store with one bench run whose only turn failed with `MESSAGE`; the run and kernel ids."""
    folder: Path = tmp_path_factory.mktemp("pages-untrusted")
    store = Store(f"sqlite:///{folder / 'kw.db'}")
    task = load_task(SUITE_DIR / "activation/relu.py", task_id=TASK_ID)
    store.upsert_task(task)
    config = BenchConfig(selection="imported", split=Split.all, platform="cpu",
                         tasks=[BenchTask(id=task.id, origin=task.id, source_hash=task.source_hash)],
                         provider=ProviderConfig(name="openai", model="m"), search=SearchConfig(trajectories=1,
                                                                                                turns=1))
    run_id = store.create_run(RunKind.bench, {"bench": config.model_dump(mode="json"), "provider_label": "openai m"})
    traj = store.add_trajectory(run_id, task.id, 0)
    turn = store.add_turn(traj, 0, "prompt", "reply", model="m")
    result = EvalResult(status=Status.runtime_error, reason=Reason.runtime_exception, stage=Stage.correctness,
                        message=MESSAGE, platform="cpu", hardware="Test CPU", task_id=task.id,
                        task_hash=task.source_hash)
    evaluation = store.record_evaluation(task, f"{SOURCE_MARK}\nclass ModelNew: ...\n", result, turn_id=turn)
    row = store.get_evaluation(evaluation)
    assert row is not None
    store.set_turn_outcome(turn, TurnOutcome.evaluated, candidate_id=row.candidate_id, evaluation_id=evaluation)
    store.finish_trajectory(traj, RunStatus.finished, "used all 1 turns")
    store.finish_run(run_id)
    app = FastAPI()
    pages.mount(app)
    settings = ServeSettings()
    app.state.service = ServiceState(settings=settings, store=store, access=Access.create(store, True, 600),
                                     jobs=JobManager(store, ClusterConfig(), "cpu", 1), cache=TTLCache(5.0))
    with TestClient(app) as client:
        yield client, run_id, row.candidate_id
    store.close()


def _page(client: TestClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.text[:2000]
    return response.text


def _assert_inert(html: str) -> None:
    for text in FORBIDDEN:
        assert text not in html, f"{text!r} is on the page"
    assert "&lt;script&gt;alert(&#39;kw-row22&#39;)&lt;/script&gt;" in html
    assert "[bold green]correct[/]" in html and "x00.24 tcerroc" in html


def test_kernel_page_shows_the_message_escaped_and_links_the_task_by_its_encoded_id(
        hostile: tuple[TestClient, str, int]) -> None:
    client, _, kernel_id = hostile
    html = _page(client, f"/kernels/{kernel_id}")
    _assert_inert(html)
    assert "# }; return the_reference(x) {" in html  # the source shown as the compiler reads it
    assert 'href="/tasks/imported/odd%20name%3Fx%3D1%23frag%E2%80%AE"' in html


def test_run_page_shows_the_turn_message_escaped(hostile: tuple[TestClient, str, int]) -> None:
    client, run_id, _ = hostile
    html = _page(client, f"/runs/{run_id}")
    _assert_inert(html)
    assert "imported/odd name?x=1#frag</a>" in html


def test_the_encoded_task_link_leads_to_the_task(hostile: tuple[TestClient, str, int]) -> None:
    client, _, _ = hostile
    html = _page(client, "/tasks/imported/odd%20name%3Fx%3D1%23frag%E2%80%AE")
    assert "imported/odd name?x=1#frag" in html and "\u202e" not in html
