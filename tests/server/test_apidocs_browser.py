"""The interactive API docs work with no network: `/docs` (Swagger UI) and `/redoc` (ReDoc) load every script and
style from the app itself and list the API's operations in a real browser whose name resolution fails for every
host but the server's (as on a machine without internet).

The app runs without its lifespan (no store, no Ray): the docs pages only need the OpenAPI description.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.browser

START_S = 60.0
WAIT_S = 30.0


class _Links(HTMLParser):
    """Every `src`, `href` and `spec-url` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href", "spec-url") and value]


@pytest.fixture(scope="module")
def docs_server() -> Iterator[str]:
    """The app served by uvicorn with its lifespan off; yields its base URL."""
    import uvicorn

    from kernelwright.server.app import create_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, name="kw-docs-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_S
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


@pytest.fixture(scope="module")
def offline_browser(browser_paths: tuple[str, str]) -> Iterator[Any]:
    """Headless Chromium that can reach 127.0.0.1 only: every other host name fails to resolve."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = browser_paths
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--disable-dev-shm-usage", "--window-size=1400,1000", "--disable-gpu",
                "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
        options.add_argument(arg)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _operation_paths() -> set[str]:
    from kernelwright.server.app import create_app

    return set(create_app().openapi()["paths"])


def _text(driver: Any) -> str:
    return str(driver.execute_script("return document.body.textContent"))


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_only_their_own_files(docs_server: str, page: str) -> None:
    answer = httpx.get(docs_server + page)
    assert answer.status_code == 200
    parser = _Links()
    parser.feed(answer.text)
    assert parser.urls, answer.text
    for url in parser.urls:
        assert url.startswith("/") and not url.startswith("//"), f"{page} loads {url} from elsewhere"
        assert httpx.get(docs_server + url).status_code == 200, url
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-eval" not in policy and "<script>" not in answer.text


def test_swagger_ui_lists_the_operations_offline(docs_server: str, offline_browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    offline_browser.get(docs_server + "/docs")
    WebDriverWait(offline_browser, WAIT_S).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock-summary-path"))
    shown = {(el.get_attribute("data-path") or el.text).replace("\u200b", "")
             for el in offline_browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert _operation_paths() <= shown, shown
    assert "Kernelwright" in offline_browser.find_element(By.CSS_SELECTOR, ".info .title").text
    errors = [e["message"] for e in offline_browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


def test_redoc_lists_the_operations_offline(docs_server: str, offline_browser: Any) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    offline_browser.get(docs_server + "/redoc")
    WebDriverWait(offline_browser, WAIT_S).until(lambda d: "/v1/leaderboard" in _text(d))
    missing = [p for p in _operation_paths() if p not in _text(offline_browser)]
    assert not missing, missing
