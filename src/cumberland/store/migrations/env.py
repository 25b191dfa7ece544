"""Alembic environment: runs on the connection the workspace hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from cumberland.store.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # alembic CLI during development: `-x url=sqlite:///x.db`
        url = context.get_x_argument(as_dictionary=True)["url"]
        with create_engine(url).begin() as conn:
            context.configure(connection=conn, target_metadata=target_metadata,
                              render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()
