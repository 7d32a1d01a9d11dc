"""The runner's audit hook: an early, explained rejection of what untrusted code may not do (row 15).

A tripwire, not the boundary: native code never raises audit events, and C++ can unhook anything in its own
process. The jail (evaluator/jail/) is what makes a spawn, a socket or a write outside harmless; this hook turns
the Python-level attempts into a clear verdict ("tried to use the network") instead of a confusing failure. A
violation is recorded even if the code catches the exception we raise.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_PROCESS_EVENTS = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                   "os.forkpty", "os.kill", "os.killpg", "pty.spawn"}
_NET_PREFIXES = ("socket.",)
# Another process's /proc entries hold its environment: the evaluator's own holds the API keys (row 15).
_PROC_PID = re.compile(r"^/proc/(\d+)(/|$)")


class SandboxGuard:
    """Blocks process spawning, sockets and writes outside allowed folders, except while building."""

    def __init__(self, writable: list[Path], loadable: tuple[str, ...] = ()) -> None:
        self.writable = [p.resolve() for p in writable]
        self.loadable = loadable  # library name prefixes ctypes may load (the platform's driver)
        self.violations: list[str] = []
        self.armed = False
        self._building = 0

    @contextmanager
    def building(self) -> Iterator[None]:
        """The harness's own compiler runs may spawn processes and write the build cache."""
        self._building += 1
        try:
            yield
        finally:
            self._building -= 1

    def _writable(self, path: str) -> bool:
        try:
            resolved = Path(path).resolve()
        except (OSError, ValueError):
            return False
        return str(resolved).startswith("/dev/null") or any(
            resolved == root or root in resolved.parents for root in self.writable)

    def _loadable(self, name: object) -> bool:
        """A driver library by name, or by a path the runner could not have written."""
        if isinstance(name, bytes):
            name = name.decode(errors="replace")
        if not self.loadable or not isinstance(name, str) or not os.path.basename(name).startswith(self.loadable):
            return False
        return "/" not in name or not self._writable(name)

    @staticmethod
    def _other_process(path: str) -> bool:
        try:
            match = _PROC_PID.match(str(Path(path).resolve()))
        except (OSError, ValueError):
            return False
        return match is not None and int(match.group(1)) != os.getpid()

    def hook(self, event: str, args: tuple) -> None:
        if not self.armed or self._building:
            return
        problem = None
        if event in _PROCESS_EVENTS:
            problem = f"tried to start or signal a process ({event})"
        elif event.startswith(_NET_PREFIXES) and event not in ("socket.gethostname", "socket.__new__"):
            problem = f"tried to use the network ({event})"
        elif event == "socket.__new__":
            family = args[1] if len(args) > 1 else None
            if family not in (1,):  # AF_UNIX sockets are harmless local plumbing; AF_INET(6) are not
                problem = "tried to open a network socket"
        elif event == "open" and len(args) >= 2 and isinstance(args[0], (str, bytes)):
            mode = args[1] if isinstance(args[1], str) else ""
            flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
            path = args[0].decode() if isinstance(args[0], bytes) else args[0]
            wants_write = any(c in mode for c in "wax+") or (flags & 0o3) != 0
            if wants_write and not self._writable(path):
                problem = f"tried to write outside its directory ({path})"
            elif self._other_process(path):
                problem = f"tried to read another process's {path}"
        elif event in ("os.remove", "os.rename", "os.rmdir", "os.mkdir", "shutil.rmtree", "os.chmod"):
            path = str(args[0]) if args else ""
            if not self._writable(path):
                problem = f"tried to change the file system outside its directory ({event} {path})"
        elif event == "ctypes.dlopen" and not self._loadable(args[0] if args else None):
            problem = "tried to load a native library with ctypes"
        if problem:
            self.violations.append(problem)
            raise PermissionError(f"sandbox: {problem}")


def install(guard: SandboxGuard) -> None:
    """Install the guard's audit hook for the rest of the process's life."""
    sys.addaudithook(guard.hook)
