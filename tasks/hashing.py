"""Content hash of a task or candidate text."""

from __future__ import annotations

import hashlib


def sha256_text(text: str) -> str:
    """Hex SHA-256 of a text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
