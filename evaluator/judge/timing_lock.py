"""The machine-wide timing lock: one timed round at a time on this machine's runner cores, never waited on for
ever.

Evaluators on one machine share its cores, so two timed rounds at once would slow each other. The lock is held for
one round (a fraction of a second), not for a whole measurement: a candidate that stalls in its round holds it at
most until its round's deadline, when its runner is killed. Every wait for it has a deadline too.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

POLL_S = 0.001


class LockTimeout(Exception):
    """The timing lock was not free before the deadline."""


class TimingLock:
    """An flock on `path` (None: no lock, for tests and one-off measurements that own the machine)."""

    def __init__(self, path: str | None) -> None:
        self.path = path

    @contextmanager
    def held(self, deadline: float) -> Iterator[None]:
        """Hold the lock while the body runs; waits at most until `deadline` (time.monotonic()) for it."""
        if self.path is None:
            yield
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise LockTimeout("the machine's timing lock was held by other evaluations until the "
                                          "deadline") from None
                    time.sleep(POLL_S)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
