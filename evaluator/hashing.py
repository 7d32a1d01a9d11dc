"""Content hashes for candidates and tasks.

The normalized hash ignores formatting and Python comments, so the same kernel resubmitted with other
whitespace is recognised as the same candidate (cache hits, deduplicated training data).
"""

from __future__ import annotations

import ast

from kernelwright.tasks.hashing import sha256_text
from kernelwright.tasks.parsing import parse

__all__ = ["normalized_hash", "normalized_source", "sha256_text"]


def normalized_source(source: str) -> str:
    """Source with Python formatting and comments normalized away; raw text when it does not parse."""
    try:
        tree = parse(source)
    except (SyntaxError, ValueError):
        return "\n".join(line.rstrip() for line in source.strip().splitlines())
    for node in ast.walk(tree):
        # Whitespace inside embedded C++ strings is formatting too.
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = " ".join(node.value.split())
    return ast.unparse(tree)


def normalized_hash(source: str) -> str:
    """Hash of `normalized_source(source)`."""
    return sha256_text(normalized_source(source))
