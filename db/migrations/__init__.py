"""Alembic migrations of the store (a package so that setuptools ships them with `db`)."""
