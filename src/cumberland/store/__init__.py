"""Persistence: SQLAlchemy models, Alembic migrations, the single writer, thumbnails."""
