"""Pull the candidate out of a model's reply: the last fenced code block that defines `ModelNew`."""

from __future__ import annotations

import re

# An opening fence (``` or ~~~, optional language tag), the body, and the matching closing fence. A final
# block cut off by the token limit has no closing fence; it is still offered (the evaluator judges it).
_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[\w+.-]*)[^\n]*\n(?P<body>.*?)(?:^(?P=fence)[ \t]*$|\Z)",
                    re.DOTALL | re.MULTILINE)
_MODEL_NEW = re.compile(r"^\s*class\s+ModelNew\b", re.MULTILINE)


def code_blocks(reply: str) -> list[str]:
    """Every fenced code block of a reply, in order."""
    return [m.group("body") for m in _FENCE.finditer(reply)]


def extract_candidate(reply: str) -> str | None:
    """The last fenced block defining `class ModelNew`, or None (a `no_code` turn)."""
    for body in reversed(code_blocks(reply)):
        if _MODEL_NEW.search(body):
            return body.rstrip() + "\n"
    return None
