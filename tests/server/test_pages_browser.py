"""The web pages in a real browser: headless Chromium (selenium) against the app served by uvicorn over the seeded
store. They check what a person sees and does: ranked runs, sorting by a header (mouse and keyboard), filters, a
run's turns, verdicts and plots, a kernel's code, and a running run's page catching up by itself.

Screenshots go to `KERNELWRIGHT_TEST_ARTIFACTS` (default `test-artifacts/` in the repository).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from kernelwright.agent.bench.config import BenchConfig, Split
from kernelwright.db import Store
from kernelwright.db.enums import RunKind
from kernelwright.views.bench_plots import BENCH_PLOTS

if TYPE_CHECKING:
    from conftest import Seeded

pytestmark = pytest.mark.browser

WAIT_S = 20.0
_T = TypeVar("_T")


def _wait(driver: Any, until: Callable[[Any], _T], timeout: float = WAIT_S) -> _T:
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # A page that is reloading has no elements yet, or only stale ones: wait on.
    wait = WebDriverWait(driver, timeout, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
    return wait.until(until)


def _open(driver: Any, url: str) -> None:
    driver.get(url)
    _wait(driver, lambda d: d.execute_script("return document.readyState") == "complete")


def _models(driver: Any) -> list[str]:
    from selenium.webdriver.common.by import By

    return [row.find_element(By.CSS_SELECTOR, "td:nth-child(2)").text
            for row in driver.find_elements(By.CSS_SELECTOR, "#leaderboard tbody tr")]


def _header(driver: Any, label: str) -> Any:
    from selenium.webdriver.common.by import By

    for th in driver.find_elements(By.CSS_SELECTOR, "#leaderboard thead th"):
        if th.text.rstrip("▲▼").strip() == label:
            return th
    raise AssertionError(f"no column {label!r}")


def _screenshot(driver: Any, path: Path) -> None:
    """The whole page: the window grows to the page's height for the shot, then returns to its size."""
    size = driver.get_window_size()
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(size["width"], min(max(height + 150, size["height"]), 6000))
    try:
        assert driver.save_screenshot(str(path)), path
    finally:
        driver.set_window_size(size["width"], size["height"])


def test_leaderboard_shows_the_ranked_runs(browser: Any, live_server: str, artifacts_dir: Path) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, live_server + "/")
    assert browser.title == "Leaderboard — Kernelwright"
    assert _models(browser) == ["zeta-coder", "mid-coder", "alpha-coder"]
    first = browser.find_element(By.CSS_SELECTOR, "#leaderboard tbody tr").text
    for text in ("zeta-coder", "67%", "1.77x [1.30, 2.40]", "1.92x", "2 x 2", "finished"):
        assert text in first, (text, first)
    jobs = browser.find_element(By.ID, "jobs").text
    assert "activation/relu" in jobs and "3.10x" in jobs and "2 turns ran of at most 2" in jobs
    nav = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "header.site nav a")]
    assert nav == ["Leaderboard", "Tasks", "API docs"]
    _screenshot(browser, artifacts_dir / "leaderboard.png")


def test_clicking_a_header_sorts_the_rows(browser: Any, live_server: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _open(browser, live_server + "/")
    rank = _header(browser, "rank")
    assert rank.get_attribute("aria-sort") == "ascending" and "▲" in rank.text

    model = _header(browser, "model")
    model.find_element(By.TAG_NAME, "button").click()
    assert _models(browser) == ["alpha-coder", "mid-coder", "zeta-coder"]
    assert model.get_attribute("aria-sort") == "ascending" and "▲" in model.text
    assert rank.get_attribute("aria-sort") == "none" and "▲" not in rank.text
    model.find_element(By.TAG_NAME, "button").click()
    assert _models(browser) == ["zeta-coder", "mid-coder", "alpha-coder"]
    assert model.get_attribute("aria-sort") == "descending" and "▼" in model.text

    # Numbers sort as numbers, best first on the first click: fast_2 is 33% (zeta, mid) and 0% (alpha);
    # the geomean 1.77x, 1.60x, 0.98x.
    _header(browser, "geomean [95% CI]").find_element(By.TAG_NAME, "button").click()
    assert _models(browser) == ["zeta-coder", "mid-coder", "alpha-coder"]
    # From the keyboard: focus a header's button and press Enter (then Space to reverse).
    provider = _header(browser, "provider").find_element(By.TAG_NAME, "button")
    provider.send_keys(Keys.ENTER)
    assert _models(browser) == ["alpha-coder", "mid-coder", "zeta-coder"]
    assert browser.switch_to.active_element == provider
    provider.send_keys(Keys.SPACE)
    assert _models(browser) == ["zeta-coder", "mid-coder", "alpha-coder"]
    assert "Sorted by provider, descending." in browser.find_element(By.CLASS_NAME, "sort-status").text


def test_filters_narrow_the_rows(browser: Any, live_server: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _open(browser, live_server + "/")
    # Choosing a value applies the filter at once (script), as a plain GET the page can be linked by.
    Select(browser.find_element(By.NAME, "platform")).select_by_value("cuda")
    _wait(browser, lambda d: "platform=cuda" in d.current_url and d.execute_script(
        "return document.readyState") == "complete")
    assert _models(browser) == ["mid-coder"]
    assert Select(browser.find_element(By.NAME, "platform")).first_selected_option.text == "cuda"

    _open(browser, live_server + "/")
    Select(browser.find_element(By.NAME, "model")).select_by_visible_text("alpha-coder")
    _wait(browser, lambda d: "model=alpha-coder" in d.current_url)
    _wait(browser, lambda d: _models(d) == ["alpha-coder"])

    Select(browser.find_element(By.NAME, "model")).select_by_value("")
    _wait(browser, lambda d: len(_models(d)) == 3)
    browser.find_element(By.CSS_SELECTOR, ".filters button[type=submit]").click()  # the no-script way works too
    _wait(browser, lambda d: len(_models(d)) == 3)


def test_run_page_shows_turns_verdicts_and_plots(browser: Any, live_server: str, seeded: Seeded,
                                                 artifacts_dir: Path) -> None:
    from selenium.webdriver.common.by import By

    run_id = seeded.bench_runs["zeta-coder"]
    _open(browser, f"{live_server}/runs/{run_id}")
    assert browser.find_element(By.CSS_SELECTOR, "h1 .badge").text == "finished"
    trajectories = browser.find_elements(By.CSS_SELECTOR, "details.trajectory")
    assert len(trajectories) == 6
    for traj in trajectories:
        assert len(traj.find_elements(By.CSS_SELECTOR, "table.turns tbody tr")) == 2
    relu = trajectories[0].text
    assert "activation/relu — trajectory 0" in relu
    assert "incorrect (output_mismatch): output mismatch: max abs error 0.31" in relu
    assert "correct, 2.40x [2.10, 2.70] vs PyTorch eager" in relu and "verified" in relu

    images = browser.find_elements(By.CSS_SELECTOR, ".plots img")
    assert [img.get_attribute("src").rsplit("/", 1)[1] for img in images] == list(BENCH_PLOTS)
    for img in images:
        browser.execute_script("arguments[0].scrollIntoView()", img)  # lazy images load once in view
        _wait(browser, lambda d, img=img: d.execute_script("return arguments[0].complete && "
                                                           "arguments[0].naturalWidth > 0", img), 60)
    _screenshot(browser, artifacts_dir / "run-bench.png")

    link = trajectories[0].find_element(By.CSS_SELECTOR, "a[href^='/kernels/']")
    link.click()
    _wait(browser, lambda d: "/kernels/" in d.current_url)
    assert "Kernel " in browser.find_element(By.TAG_NAME, "h1").text
    assert "class ModelNew" in browser.find_element(By.CSS_SELECTOR, "pre.code").text


def test_optimize_run_page_shows_progress_and_best_kernel(browser: Any, live_server: str, seeded: Seeded,
                                                          artifacts_dir: Path) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, f"{live_server}/runs/{seeded.optimize_run}")
    progress = browser.find_element(By.CSS_SELECTOR, ".job progress")
    assert progress.get_attribute("value") == "2" and progress.get_attribute("max") == "2"
    job = browser.find_element(By.CSS_SELECTOR, "section.job").text
    assert "Best kernel: kernel" in job and "3.10x [2.80, 3.40]" in job and "relu_ext.relu_forward(x)" in job
    _screenshot(browser, artifacts_dir / "run-optimize.png")


def test_kernel_page_shows_the_code_as_text(browser: Any, live_server: str, seeded: Seeded,
                                            artifacts_dir: Path) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    _open(browser, f"{live_server}/kernels/{seeded.kernels['script']}")
    code = browser.find_element(By.CSS_SELECTOR, "pre.code code").text
    assert f'BANNER = "{seeded.script_mark}"' in code and "class ModelNew" in code
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - the kernel's <script> must not have run
    verdicts = browser.find_element(By.ID, "verdicts").text
    assert "build error" in verdicts and "main.cpp:12:5: error" in verdicts and "/tmp/" not in verdicts
    _screenshot(browser, artifacts_dir / "kernel.png")


def test_task_pages(browser: Any, live_server: str, artifacts_dir: Path) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, live_server + "/tasks")
    rows = browser.find_elements(By.CSS_SELECTOR, "#tasks tbody tr")
    assert [r.find_element(By.TAG_NAME, "a").text for r in rows] == ["activation/relu", "activation/softsign",
                                                                     "pooling/max_pool2d"]
    rows[0].find_element(By.TAG_NAME, "a").click()
    _wait(browser, lambda d: d.current_url.endswith("/tasks/activation/relu"))
    assert [h.text for h in browser.find_elements(By.CSS_SELECTOR, "section.platform h3")] == ["On cpu", "On cuda"]
    assert "relu_forward" in browser.find_element(By.CSS_SELECTOR, "section.platform pre.code").text
    _screenshot(browser, artifacts_dir / "task.png")


def test_unknown_run_is_a_page_that_says_so(browser: Any, live_server: str) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, live_server + "/runs/nope")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Not found"
    assert "There is no run 'nope'." in browser.find_element(By.TAG_NAME, "main").text


def test_a_running_run_page_reloads_when_the_run_moves_on(browser: Any, live_server: str,
                                                          seeded_db_url: str) -> None:
    from selenium.webdriver.common.by import By

    # A run of this test's own, with no task: no leaderboard counts it, whatever state it ends in.
    with Store(seeded_db_url) as store:
        config = BenchConfig(selection="suite smoke", split=Split.all, tasks=[])
        run_id = store.create_run(RunKind.bench, {"bench": config.model_dump(mode="json")})
        _open(browser, f"{live_server}/runs/{run_id}")
        badge = browser.find_element(By.CSS_SELECTOR, "h1 .badge")
        assert badge.text == "running" and "updates itself" in browser.find_element(By.TAG_NAME, "main").text
        store.finish_run(run_id)
    # The page polls every 2 s and reloads once the status changed.
    _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "h1 .badge").text == "finished")
    assert not browser.find_elements(By.CSS_SELECTOR, "p.live")
