"""Bounded capture of what a jailed process prints: the judge's memory stays flat whatever a compiler writes.

A compiler fed hostile source prints as much as it is made to (nested templates print types of 2^n characters; a
macro bomb repeats an error a million times). `pump` reads a process's pipes as the bytes arrive, with the caller's
deadline, into sinks that keep what is worth keeping: a `BoundedLog` keeps the first and the last bytes and counts
the rest; a `CappedFile` streams a build's module to disk up to a size cap. A sink that has seen more than it will
take says `full`, and the caller stops the process: past that point reading costs the judge CPU for nothing.
"""

from __future__ import annotations

import os
import selectors
import time
from enum import Enum
from typing import BinaryIO, Protocol

# What a log keeps of each end, and how much it reads before the process is stopped. A real build's log (warnings
# are off) is a few kilobytes; a template error's backtrace a few hundred.
LOG_HEAD_BYTES = 64 * 1024
LOG_TAIL_BYTES = 64 * 1024
LOG_STOP_BYTES = 16 * 2**20
# The phrase that marks where a log's middle was left out (build errors keep that line when they trim a log).
LEFT_OUT = "bytes of output left out"
_CHUNK = 64 * 1024


class Sink(Protocol):
    """Where the bytes of one pipe go."""

    @property
    def full(self) -> bool:
        """True once the sink has seen more than it takes: the process should be stopped."""

    def write(self, data: bytes) -> None:
        """Take the next bytes read from the pipe."""


class BoundedLog:
    """The first `head` and last `tail` bytes of a stream, and how many bytes in between were dropped.

    Memory is at most `head + 2 * tail` bytes whatever the stream's length. `full` once more than `stop_after`
    bytes have arrived.
    """

    def __init__(self, head: int = LOG_HEAD_BYTES, tail: int = LOG_TAIL_BYTES,
                 stop_after: int = LOG_STOP_BYTES) -> None:
        self.head_max, self.tail_max, self.stop_after = head, tail, stop_after
        self._head = bytearray()
        self._tail = bytearray()
        self.total = 0

    @property
    def full(self) -> bool:
        return self.total > self.stop_after

    @property
    def dropped(self) -> int:
        """Bytes seen and not kept."""
        return self.total - len(self._head) - min(len(self._tail), self.tail_max)

    def write(self, data: bytes) -> None:
        self.total += len(data)
        room = self.head_max - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if not data:
            return
        self._tail += data[-self.tail_max:] if self.tail_max else b""
        if len(self._tail) > 2 * self.tail_max:  # trimmed in batches: amortised, and never above twice the tail
            del self._tail[:-self.tail_max]

    def text(self) -> str:
        """The kept bytes as text, with a line saying how much of the middle was left out."""
        tail = bytes(self._tail[-self.tail_max:]) if self.tail_max else b""
        head = bytes(self._head).decode(errors="replace")
        if self.dropped <= 0:
            return head + tail.decode(errors="replace")
        return f"{head}\n[... {self.dropped} {LEFT_OUT} ...]\n{tail.decode(errors='replace')}"


class CappedFile:
    """Streams a pipe into an open file, up to `limit` bytes; `full` once the stream is longer than that (what
    was written is then incomplete and the caller discards it)."""

    def __init__(self, handle: BinaryIO, limit: int) -> None:
        self.handle, self.limit = handle, limit
        self.total = 0

    @property
    def full(self) -> bool:
        return self.total > self.limit

    def write(self, data: bytes) -> None:
        self.total += len(data)
        if not self.full:
            self.handle.write(data)


class Stopped(str, Enum):
    """Why `pump` returned before every pipe reached its end."""

    deadline = "deadline"
    full = "full"


def pump(sinks: dict[int, Sink], deadline: float, stdin: tuple[int, bytes] | None = None) -> Stopped | None:
    """Read every fd of `sinks` into its sink until all reach end of file (None), the `deadline`
    (`time.monotonic()`) passes, or a sink is full; meanwhile write `stdin` = (fd, data) and close that fd.

    Nothing is ever buffered beyond one read of 64 KiB: what is kept is the sinks' business. The fds are made
    non-blocking; the caller closes the read ends.
    """
    selector = selectors.DefaultSelector()
    for fd in sinks:
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ)
    pending = memoryview(b"")
    if stdin is not None:
        in_fd, data = stdin
        if data:
            os.set_blocking(in_fd, False)
            selector.register(in_fd, selectors.EVENT_WRITE)
            pending = memoryview(data)
        else:
            os.close(in_fd)
    try:
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                return Stopped.deadline
            for key, _ in selector.select(left):
                fd = int(key.fd)
                if fd not in sinks:  # the stdin pipe is ready for more
                    try:
                        pending = pending[os.write(fd, pending[:_CHUNK]):]
                    except BlockingIOError:
                        continue
                    except BrokenPipeError:
                        pending = memoryview(b"")  # it stopped reading: its business, the output tells
                    if not pending:
                        selector.unregister(fd)
                        os.close(fd)
                    continue
                try:
                    data = os.read(fd, _CHUNK)
                except BlockingIOError:
                    continue
                if not data:
                    selector.unregister(fd)
                    continue
                sinks[fd].write(data)
                if sinks[fd].full:
                    return Stopped.full
        return None
    finally:
        if stdin is not None and stdin[0] in selector.get_map():
            os.close(stdin[0])
        selector.close()
