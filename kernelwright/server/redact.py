"""Keep the server's layout and endpoints out of what the service answers.

A compile log or a traceback names files on the server, and a provider's error names the LLM endpoint it could not
reach. Every absolute filesystem path in a message is cut to its last component (`/tmp/kw-build-1a2b/main.cpp:12`
becomes `main.cpp:12`), and every URL becomes `<endpoint>`. A path counts as a filesystem path only when its first
folder exists at this machine's root, so an HTTP route in a message (`GET /v1/tasks`) reads as written.
"""

from __future__ import annotations

import os
import re
from functools import cache

_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>)]*[^\s'\"<>):.,;]")
# An absolute path: a slash not preceded by a word character, "/", ":" or "." (so `a/b` and `x./y` stay), its
# first folder, then more folders. The last component is kept.
_PATH = re.compile(r"(?<![\w/:.])(?:~/|/([\w.+@-]+)/)((?:[\w.+@-]+/)*)(?=[\w.+@-])")
_WINDOWS_PATH = re.compile(r"\b[A-Za-z]:\\(?:[\w .+@-]+\\)+")


@cache
def _roots() -> frozenset[str]:
    try:
        return frozenset(os.listdir("/"))
    except OSError:
        return frozenset()


def _path(match: re.Match[str]) -> str:
    first = match.group(1)
    return "" if first is None or first in _roots() else match.group(0)


def redact(text: str) -> str:
    """`text` with URLs replaced and every absolute folder prefix on this machine removed."""
    return _WINDOWS_PATH.sub("", _PATH.sub(_path, _URL.sub("<endpoint>", text)))
