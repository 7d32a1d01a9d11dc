"""A runner's watchdog: it kills the runner at its hard deadline, whatever the judge's own thread is blocked on.

Every wait the judge makes on a runner has a deadline of its own (socket sends and receives); the watchdog is the
backstop for the waits that have none (a lock, a read, a call nobody thought of). Killing the runner is enough:
its end of the control socket closes, so a judge blocked on it returns with an error, and `fired` tells the judge
that the death was its own doing, a timeout, not a crash.

One small thread per runner, started on the first deadline and ended with the runner. Arming it for the request
in flight costs a lock and a comparison; the thread is woken only when a deadline comes sooner than the one it is
sleeping towards.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# How long past a runner's deadline the watchdog waits: the judge's own deadlines fire first when it is waiting
# where it can see them, so the watchdog acts only on a judge that is stuck somewhere else.
GRACE_S = 2.0


class Watchdog:
    """Calls `kill` once, when the armed deadline (`time.monotonic()`) passes; never after `close`."""

    def __init__(self, kill: Callable[[], None], name: str = "runner") -> None:
        self._kill = kill
        self._name = name
        self._cond = threading.Condition()
        self._deadline: float | None = None
        self._sleeping_until: float | None = None  # what the thread waits for now (None: a notify)
        self._closed = False
        self._thread: threading.Thread | None = None
        self.fired = False

    def arm(self, deadline: float) -> None:
        """Kill at `deadline` unless disarmed or re-armed first."""
        with self._cond:
            if self._closed:
                return
            self._deadline = deadline
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name=f"kw-watchdog-{self._name}", daemon=True)
                self._thread.start()
            elif self._sleeping_until is None or self._sleeping_until > deadline:
                self._cond.notify()

    def disarm(self) -> None:
        """No deadline until the next `arm` (the thread notices when it next wakes)."""
        with self._cond:
            self._deadline = None

    def close(self) -> None:
        """Stop for good; once this returns, `kill` is not running and will never run."""
        with self._cond:
            self._closed = True
            self._cond.notify()

    def _watch(self) -> None:
        with self._cond:
            while not self._closed:
                deadline = self._deadline
                if deadline is None:
                    self._sleeping_until = None
                    self._cond.wait()
                    continue
                left = deadline - time.monotonic()
                if left <= 0:
                    self.fired = True
                    # Under the lock: `close` waits for this, so the owner never reaps the process while it is
                    # being signalled.
                    self._kill()
                    return
                self._sleeping_until = deadline
                self._cond.wait(left)
