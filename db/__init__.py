"""The SQL store: SQLAlchemy models, the `Store` and its Alembic migrations."""

from kernelwright.db.engine import default_db_url
from kernelwright.db.errors import NotFoundError
from kernelwright.db.store import Store

__all__ = ["NotFoundError", "Store", "default_db_url"]
