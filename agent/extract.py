"""Pull the candidate out of a model's reply: the last fenced code block that defines `ModelNew`."""

from __future__ import annotations

import re
from typing import NamedTuple

# An opening fence (``` or ~~~, optional language tag), the body, and the matching closing fence. A final
# block cut off by the token limit has no closing fence; it is still offered (the evaluator judges it).
_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[\w+.-]*)[^\n]*\n(?P<body>.*?)"
                    r"(?:(?P<close>^(?P=fence)[ \t]*$)|\Z)", re.DOTALL | re.MULTILINE)
_MODEL_NEW = re.compile(r"^\s*class\s+ModelNew\b", re.MULTILINE)


class CodeBlock(NamedTuple):
    """One fenced block of a reply."""

    lang: str  # the fence's language tag ("python"), "" when it has none
    body: str
    closed: bool  # False: the reply ended inside it (cut off by the token limit)


def fenced_blocks(reply: str) -> list[CodeBlock]:
    """Every fenced code block of a reply, in order, with its language tag and whether it was closed."""
    return [CodeBlock(m.group("lang"), m.group("body"), m.group("close") is not None) for m in _FENCE.finditer(reply)]


def code_blocks(reply: str) -> list[str]:
    """Every fenced code block of a reply, in order."""
    return [block.body for block in fenced_blocks(reply)]


def defines_model_new(source: str) -> bool:
    """Whether a block's source defines `class ModelNew` (at any indentation, as the extraction reads it)."""
    return _MODEL_NEW.search(source) is not None


def extract_candidate(reply: str) -> str | None:
    """The last fenced block defining `class ModelNew`, or None (a `no_code` turn)."""
    for body in reversed(code_blocks(reply)):
        if defines_model_new(body):
            return body.rstrip() + "\n"
    return None
