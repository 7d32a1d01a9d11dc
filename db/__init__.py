"""The SQL store: SQLAlchemy models, the `Store` and its Alembic migrations."""

from db.engine import default_db_url
from db.errors import NotFoundError
from db.store import Store

__all__ = ["NotFoundError", "Store", "default_db_url"]
