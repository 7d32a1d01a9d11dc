"""Keep server paths out of what the service answers: a compile log or a traceback names files on the server.

Every absolute path in a message is cut to its last component (`/tmp/kw-build-1a2b/main.cpp:12` becomes
`main.cpp:12`), which keeps compiler errors readable and says nothing about the server's layout.
"""

from __future__ import annotations

import re

# An absolute path: a slash not preceded by a word character, "/", ":" or "." (so URLs, `a/b` and `x./y` stay),
# then one or more folders. The last component is kept.
_PATH = re.compile(r"(?<![\w/:.])(?:~/|/)(?:[\w.+@-]+/)+(?=[\w.+@-])")
_WINDOWS_PATH = re.compile(r"\b[A-Za-z]:\\(?:[\w .+@-]+\\)+")


def redact_paths(text: str) -> str:
    """`text` with every absolute folder prefix removed."""
    return _WINDOWS_PATH.sub("", _PATH.sub("", text))
