"""Persistence: SQLAlchemy models, queries, transactions (Alembic migrations in `migrations/`)."""
