"""The web pages through the app's test client (no browser): what each page says, its errors, the plots, escaping,
and that no page leaks a server path or breaks the CSP (inline scripts or styles)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from kernelwright.db import Store
from kernelwright.server.app import create_app
from kernelwright.server.pages import BENCH_HINT
from kernelwright.settings import ServeSettings
from kernelwright.views.bench_plots import BENCH_PLOTS

if TYPE_CHECKING:
    from conftest import Seeded

PNG = b"\x89PNG\r\n\x1a\n"
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def client(seeded_db_url: str, server_env: dict[str, str]) -> Iterator[TestClient]:
    """The app over the seeded store; entering the client runs its startup (store, Ray, jobs)."""
    with TestClient(create_app(ServeSettings(workers=1), seeded_db_url)) as test_client:
        yield test_client


def _html(client: TestClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.text[:2000]
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def _rows(html: str, table_id: str) -> list[str]:
    """The body rows of a table, as HTML."""
    body = html.split(f'id="{table_id}"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr\b.*?</tr>", body, flags=re.S)


def _models(html: str) -> list[str]:
    """The leaderboard's models, top row first."""
    return [name for row in _rows(html, "leaderboard") for name in re.findall(r'<a href="/runs/\w+">([^<]+)</a>', row)]


def _task_ids(html: str) -> list[str]:
    """The task list's tasks, top row first."""
    return [task for row in _rows(html, "tasks") for task in re.findall(r'<a href="/tasks/([^"]+)">', row)]


def _pages(seeded: Seeded) -> list[str]:
    zeta = seeded.bench_runs["zeta-coder"]
    return ["/", "/?platform=cuda", f"/runs/{zeta}", f"/runs/{seeded.optimize_run}",
            f"/runs/{seeded.running_bench_run}", "/tasks", "/tasks?category=pooling", "/tasks/activation/relu",
            f"/kernels/{seeded.kernels['script']}", f"/kernels/{seeded.kernels['fast']}"]


def test_leaderboard_ranks_the_runs_with_their_numbers(client: TestClient) -> None:
    html = _html(client, "/")
    assert _models(html) == ["zeta-coder", "mid-coder", "alpha-coder"]
    zeta = _rows(html, "leaderboard")[0]
    # fast_1 2 of 3 tasks, verified fast_1 2 of 3, geomean over relu 2.4x and max_pool2d 1.3x with its interval,
    # against torch.compile on relu only (1.25x): 2.4 / 1.25.
    for text in ("67%", "1.77x", "[1.30, 2.40]", "1.92x", "2 x 2", "suite smoke", "finished", "openai zeta-coder"):
        assert text in zeta, text
    assert 'title="Test CPU"' in zeta
    # The sortable headers carry what the script needs, and the rank order shows as sorted.
    assert 'aria-sort="ascending"><button type="button">rank' in html.replace("\n        ", "")
    assert "Recent jobs" in html and 'href="/runs/' in _rows(html, "jobs")[0]


def test_filters_narrow_the_leaderboard_and_offer_what_the_data_holds(client: TestClient) -> None:
    html = _html(client, "/")
    for value in ("cpu", "cuda", "activation", "pooling", "alpha-coder", "mid-coder", "zeta-coder", "held-out"):
        assert f'<option value="{value}"' in html, value
    assert _models(_html(client, "/?platform=cuda")) == ["mid-coder"]
    assert _models(_html(client, "/?model=alpha-coder&platform=&category=")) == ["alpha-coder"]
    # Only alpha-coder solved the held-out task (slower than eager): it is the only correct one there.
    held_out = _html(client, "/?split=held-out")
    assert _models(held_out)[0] == "alpha-coder" and len(_models(held_out)) == 3
    assert "held-out tasks only" in held_out
    pooling = _html(client, "/?category=pooling")
    assert _models(pooling)[0] == "zeta-coder" and "category: pooling" in pooling
    nothing = _html(client, "/?model=nobody")
    assert "No bench run matches these filters" in nothing and BENCH_HINT in nothing
    assert '<option value="nobody" selected>' in nothing  # the choice stays visible


def test_bench_run_page_shows_every_trajectory_turn_and_plot(client: TestClient, seeded: Seeded) -> None:
    run_id = seeded.bench_runs["zeta-coder"]
    html = _html(client, f"/runs/{run_id}")
    assert "Bench run" in html and "badge-finished" in html and "zeta-coder" in html
    assert html.count('<details class="trajectory" open>') == 6  # 3 tasks x 2 samples
    for task_id in seeded.task_ids:
        assert f"{task_id} — trajectory 0" in html and f"{task_id} — trajectory 1" in html
    assert "correct, 2.40x [2.10, 2.70] vs PyTorch eager" in html
    assert "incorrect (output_mismatch): output mismatch: max abs error 0.31" in html
    assert "no code" in html and "used all 2 turns" in html
    assert re.search(r'<a href="/kernels/\d+">kernel \d+</a>', html)
    for name in BENCH_PLOTS:
        assert f'<img src="/runs/{run_id}/plots/{name}"' in html
    assert "data-poll-url" not in html  # finished: nothing to follow


def test_bench_run_page_has_the_reports_numbers(client: TestClient, seeded: Seeded) -> None:
    """fast_1, verified fast_1 and the geomean with its interval, overall and per category, as the report has them
    (the leaderboard's row of the same run: 67%, 1.77x [1.30, 2.40])."""
    html = _html(client, f"/runs/{seeded.bench_runs['zeta-coder']}")
    rows = _rows(html, "metrics")
    overall = " ".join(re.sub(r"<[^>]+>", " ", rows[0]).split())
    assert overall.startswith("all 3 67% 67% 67% ") and "1.77x [1.30, 2.40]" in overall, overall
    assert {re.sub(r"<[^>]+>", " ", r).split()[0] for r in rows[1:]} == {"activation", "pooling"}


def test_optimize_run_page_shows_the_job_and_its_best_kernel(client: TestClient, seeded: Seeded) -> None:
    html = _html(client, f"/runs/{seeded.optimize_run}")
    assert "Optimize run" in html and '<progress value="2" max="2"' in html
    assert "Best kernel" in html and f'href="/kernels/{seeded.kernels["fast"]}"' in html
    assert "3.10x" in html and "[2.80, 3.40]" in html and "relu_ext.relu_forward(x)" in html
    # The compile error is shown without the server's build folder.
    assert "main.cpp:12:5: error: &#39;relu_fast&#39; was not declared in this scope" in html
    assert "<img" not in html  # plots are for bench runs


def test_a_running_run_page_follows_its_run(client: TestClient, seeded: Seeded) -> None:
    html = _html(client, f"/runs/{seeded.running_bench_run}")
    assert "badge-running" in html and "updates itself" in html
    assert f'data-poll-url="/v1/runs/{seeded.running_bench_run}"' in html
    assert 'data-poll-kind="run" data-poll-key="running|0"' in html
    # Without script, and only then, the page refreshes itself.
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in html


def test_plots_are_pngs_of_bench_runs_only(client: TestClient, seeded: Seeded) -> None:
    run_id = seeded.bench_runs["alpha-coder"]
    for name in BENCH_PLOTS:
        response = client.get(f"/runs/{run_id}/plots/{name}")
        assert response.status_code == 200 and response.headers["content-type"] == "image/png"
        assert response.content.startswith(PNG) and len(response.content) > 10_000
    for path in (f"/runs/{run_id}/plots/report.md", f"/runs/{run_id}/plots/metrics.json",
                 f"/runs/{seeded.optimize_run}/plots/fast_p.png", "/runs/nope/plots/fast_p.png"):
        assert "There is no plot" in _html(client, path, 404), path
    assert "<h1>Not found</h1>" in _html(client, f"/runs/{run_id}/plots/..%2F..%2Fstore.db", 404)


def test_task_pages_list_the_best_kernels_with_their_code(client: TestClient, seeded: Seeded) -> None:
    listing = _html(client, "/tasks")
    rows = _rows(listing, "tasks")
    assert _task_ids(listing) == sorted(seeded.task_ids)
    relu = rows[0]
    assert "3.10x" in relu and "1.60x" in relu  # best on cpu (the optimize run) and on cuda
    assert "held out" in rows[1]  # activation/softsign
    assert _task_ids(_html(client, "/tasks?category=pooling")) == ["pooling/max_pool2d"]

    html = _html(client, "/tasks/activation/relu")
    assert "On cpu" in html and "On cuda" in html
    cpu = html.split("On cpu", 1)[1].split("On cuda", 1)[0]
    assert cpu.count("<li>") == 4  # every correct, timed relu kernel on cpu: 3.1, 2.4, 1.2, 1.1 (at most 5)
    assert cpu.index("3.10x") < cpu.index("2.40x") < cpu.index("1.20x")
    assert '<pre class="code"' in cpu and "<code>" in cpu and "relu_forward" in cpu


def test_kernel_page_shows_escaped_code_and_its_verdicts(client: TestClient, seeded: Seeded) -> None:
    html = _html(client, f"/kernels/{seeded.kernels['script']}")
    assert seeded.script_mark not in html
    assert "BANNER = &#34;&lt;script&gt;alert(&#39;kw-escape&#39;)&lt;/script&gt;&#34;" in html
    assert "badge-build-error" in html and "compile error" in html and "main.cpp:12:5" in html
    assert f'href="/runs/{seeded.optimize_run}"' in html and 'href="/tasks/activation/relu"' in html
    fast = _html(client, f"/kernels/{seeded.kernels['fast']}")
    assert "3.10x" in fast and "verified" in fast and "0.500 / 0.161 ms" in fast


@pytest.mark.parametrize(("path", "says"), [
    ("/runs/nope", "There is no run &#39;nope&#39;."),
    ("/tasks/activation/nope", "There is no task &#39;activation/nope&#39;."),
    ("/kernels/999999", "There is no kernel &#39;999999&#39;."),
    ("/kernels/abc", "There is no kernel &#39;abc&#39;."),
    ("/kernels/99999999999999999999999", "There is no kernel &#39;99999999999999999999999&#39;."),
    ("/no/such/page", "There is no page at /no/such/page."),
])
def test_unknown_things_are_html_404_pages(client: TestClient, path: str, says: str) -> None:
    html = _html(client, path, 404)
    assert says in html and "<h1>Not found</h1>" in html and 'href="/tasks"' in html


def test_the_api_keeps_its_json_errors(client: TestClient) -> None:
    response = client.get("/v1/runs/nope")
    assert response.status_code == 404 and response.json() == {"detail": "no run 'nope'"}


def test_pages_show_no_server_path_and_obey_the_csp(client: TestClient, seeded: Seeded) -> None:
    for path in _pages(seeded):
        response = client.get(path)
        html = response.text
        assert response.status_code == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        for secret in (str(seeded.root), str(REPO_ROOT), "/tmp/kw-build", "sqlite:"):
            assert secret not in html, (path, secret)
        # The CSP forbids inline code and style: every script is a file of ours, no element has a style.
        assert re.findall(r"<script\b[^>]*>", html) == ['<script src="/static/kw.js" defer>'], path
        assert not re.search(r"\sstyle\s*=|<style\b|\son[a-z]+\s*=", html), path
        assert all(src.startswith("/") for src in re.findall(r'(?:src|href)="([^"#]+)"', html)
                   if not src.startswith("data:")), path


def test_static_files_are_served(client: TestClient) -> None:
    css = client.get("/static/kw.css")
    js = client.get("/static/kw.js")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"] and "aria-sort" in js.text


def test_an_empty_private_service_asks_for_a_token_then_says_what_to_run(client: TestClient,
                                                                         tmp_path: Path) -> None:
    # Ray is already up (the module's client): this second app only adds its own evaluator.
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with Store(url) as store:
        _, secret = store.create_api_token("reader")
    with TestClient(create_app(ServeSettings(workers=1, public_read=False), url)) as private:
        refused = private.get("/")
        assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Basic")
        assert "reads on this service need an API token" in refused.text
        for path in ("/", "/tasks"):
            html = private.get(path, auth=("any", secret)).text
            assert BENCH_HINT in html, path
        board = private.get("/", auth=("any", secret)).text
        assert "No bench run is stored yet" in board and "No optimize job yet" in board
