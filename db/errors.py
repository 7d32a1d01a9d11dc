"""The store's errors."""

from __future__ import annotations


class NotFoundError(LookupError):
    """A method was given the id of a row that is not in the store."""
