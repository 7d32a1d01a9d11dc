"""The SQL store: SQLAlchemy models, the `Store` and its Alembic migrations."""

from db.store import NotFoundError, Store, default_db_url

__all__ = ["NotFoundError", "Store", "default_db_url"]
