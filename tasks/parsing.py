"""`ast.parse` behind one lock for the whole process.

CPython 3.11 keeps the AST constructor's recursion depth in state shared by every thread, so two threads parsing at
once can fail with `SystemError: AST constructor recursion depth mismatch` (python/cpython#106905). Imports check
tasks in a thread pool and the service parses candidates from several threads; parsing is fast, so one lock costs
nothing measurable and keeps the error away.
"""

from __future__ import annotations

import ast
import threading

_LOCK = threading.Lock()


def parse(source: str, filename: str = "<unknown>") -> ast.Module:
    """`ast.parse(source, filename)`, one thread at a time."""
    with _LOCK:
        return ast.parse(source, filename=filename)
