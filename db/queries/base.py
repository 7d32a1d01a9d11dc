"""What every query module of the store works with: a read and a write session factory."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker


class QueryBase:
    """Session factories, set by `Store.__init__`: `_read` for queries, `_write` for transactions that write
    (on SQLite they take the write lock up front)."""

    _read: sessionmaker[Session]
    _write: sessionmaker[Session]
