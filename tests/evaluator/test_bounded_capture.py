"""The bounded reader of jailed processes' output (evaluator/jail/capture.py), in process: pipes fed by threads.

Whatever a writer prints, the reader keeps the head and the tail and counts the rest, stops once a sink is full,
and never waits past its deadline.
"""

from __future__ import annotations

import io
import os
import threading
import time
import tracemalloc

from kernelwright.evaluator.jail.capture import LEFT_OUT, BoundedLog, CappedFile, Stopped, pump


def _writer(fd: int, chunks: int, chunk: bytes, then_sleep: float = 0.0) -> threading.Thread:
    def write() -> None:
        try:
            for _ in range(chunks):
                os.write(fd, chunk)
            time.sleep(then_sleep)
        except BrokenPipeError:
            pass
        finally:
            os.close(fd)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def test_a_log_keeps_its_head_and_tail_and_counts_the_rest() -> None:
    log = BoundedLog(head=10, tail=10, stop_after=10**9)
    for part in (b"0123456789abc", b"x" * 1000, b"...the end"):
        log.write(part)
    text = log.text()
    assert text.startswith("0123456789\n") and text.endswith("\n...the end")
    assert log.total == 1023 and log.dropped == 1003 and f"[... 1003 {LEFT_OUT} ...]" in text
    short = BoundedLog(head=10, tail=10)
    short.write(b"hello")
    assert short.text() == "hello" and short.dropped == 0


def test_memory_stays_flat_whatever_the_writer_prints() -> None:
    read_fd, write_fd = os.pipe()
    log = BoundedLog(head=4096, tail=4096, stop_after=10**12)
    chunk = b"error: " + b"P<int, int>" * 6000 + b"\n"  # 66 kB lines, 200 MB in all
    writer = _writer(write_fd, 3000, chunk)
    tracemalloc.start()
    try:
        assert pump({read_fd: log}, time.monotonic() + 120) is None
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        os.close(read_fd)
    writer.join()
    assert log.total == 3000 * len(chunk)
    assert peak < 2 * 2**20, f"the reader held {peak} bytes at once"
    assert len(log.text()) < 9000


def test_a_full_sink_stops_the_reading() -> None:
    read_fd, write_fd = os.pipe()
    log = BoundedLog(head=1024, tail=1024, stop_after=1 << 20)
    writer = _writer(write_fd, 10_000, b"y" * 4096)  # 40 MB: far more than the sink takes
    assert pump({read_fd: log}, time.monotonic() + 60) is Stopped.full
    os.close(read_fd)  # the writer gets EPIPE and ends, as a killed process would
    writer.join()
    assert (1 << 20) < log.total < (1 << 20) + 65 * 1024


def test_the_deadline_holds_against_a_silent_writer() -> None:
    read_fd, write_fd = os.pipe()
    writer = _writer(write_fd, 1, b"started\n", then_sleep=3.0)  # keeps its end open and says nothing
    log = BoundedLog()
    start = time.monotonic()
    assert pump({read_fd: log}, start + 0.3) is Stopped.deadline
    assert time.monotonic() - start < 2.0 and log.text() == "started\n"
    os.close(read_fd)
    writer.join()


def test_stdin_is_written_while_both_pipes_are_read() -> None:
    """A child that reads all of a large stdin before it prints anything would deadlock a reader that writes first
    and reads after, or the other way round; the pump does both as the pipes allow."""
    to_child_r, to_child_w = os.pipe()
    out_r, out_w = os.pipe()
    data = os.urandom(3 * 2**20)

    def child() -> None:
        got = bytearray()
        while chunk := os.read(to_child_r, 65536):
            got += chunk
        os.close(to_child_r)
        os.write(out_w, b"%d\n" % len(got))
        os.close(out_w)

    thread = threading.Thread(target=child, daemon=True)
    thread.start()
    log = BoundedLog()
    assert pump({out_r: log}, time.monotonic() + 60, (to_child_w, data)) is None
    thread.join()
    os.close(out_r)
    assert log.text() == f"{len(data)}\n"


def test_a_capped_file_keeps_at_most_its_limit() -> None:
    handle = io.BytesIO()
    capped = CappedFile(handle, limit=10)
    capped.write(b"12345")
    capped.write(b"67890")
    assert not capped.full and handle.getvalue() == b"1234567890"
    capped.write(b"x")
    assert capped.full and handle.getvalue() == b"1234567890"
