"""Quiet tests: a test marked `quiet` runs with no other test beside it, even under pytest-xdist.

A quiet test asserts a measured speed (a kernel verified faster, a model not measurably faster). On a 2-core
machine running the suite in parallel, the other worker's compiles and trainings decide such a claim as much as the
kernel does. So every test holds a shared lock on the machine for its whole run (setup, the fixtures of any scope
set up for it, teardown), and a quiet test an exclusive one: it waits for the tests running beside it to end, and
none starts beside it. A waiting quiet test holds a turnstile that every test passes first, so a stream of ordinary
tests cannot starve it. The locks are per machine, not per session (two suites on one machine keep out of each
other's measurements too); `KERNELWRIGHT_TEST_LOCK_DIR` moves them (a test of this module runs a suite of its own
inside one). The wait is outside the test's own timeout: this hook wraps pytest-timeout's.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def lock_dir() -> Path:
    """Where the machine's test locks live."""
    return Path(os.environ.get("KERNELWRIGHT_TEST_LOCK_DIR") or tempfile.gettempdir())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    """Run `item` holding the machine shared, or exclusively when it is marked `quiet`."""
    quiet = item.get_closest_marker("quiet") is not None
    lock = os.open(lock_dir() / "kernelwright-tests-quiet.lock", os.O_RDWR | os.O_CREAT, 0o666)
    turnstile = os.open(lock_dir() / "kernelwright-tests-quiet.turnstile", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX if quiet else fcntl.LOCK_SH)
        finally:
            fcntl.flock(turnstile, fcntl.LOCK_UN)
        yield
    finally:
        os.close(lock)  # closing the descriptor releases its lock
        os.close(turnstile)
