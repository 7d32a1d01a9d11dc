"""Ctrl-C stops a run even when something inside it swallows the first cancellation, as an HTTP client cancelled
mid-request was seen to do (it retried, the run went on to use all its turns, and the CLI never exited)."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from kernelwright.agent.task_search import RECANCEL_S, run_and_close
from kernelwright.db.enums import RunStatus


def test_ctrl_c_stops_a_run_that_swallows_one_cancellation() -> None:
    turns: list[int] = []
    closed: list[RunStatus] = []
    background: list[asyncio.Task[None]] = []

    async def stubborn() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            await asyncio.sleep(3600)  # swallowed once: asyncio.run's own single cancel would wait for ever

    async def main() -> None:
        asyncio.get_running_loop().call_later(0.2, os.kill, os.getpid(), signal.SIGINT)
        background.append(asyncio.ensure_future(stubborn()))
        swallowed = False
        for turn in range(20):
            try:
                await asyncio.sleep(0.1)
            except asyncio.CancelledError:
                if swallowed:
                    raise
                swallowed = True  # the library's retry: carry on as if nothing happened
            turns.append(turn)

    with pytest.raises(KeyboardInterrupt):
        run_and_close(main, closed.append)
    assert closed == [RunStatus.interrupted]
    assert len(turns) < 2 + 2 * RECANCEL_S / 0.1  # stopped by the second cancellation, not after all 20 turns
    assert background[0].cancelled()


def test_a_run_without_ctrl_c_finishes_and_leaves_sigint_alone() -> None:
    closed: list[RunStatus] = []

    async def main() -> None:
        await asyncio.sleep(0)

    run_and_close(main, closed.append)
    assert closed == [RunStatus.finished]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
