"""Alembic's environment: the migrations run on the connection `store/schema.py` hands over (no URL, no alembic.ini),
inside its transaction."""

from alembic import context
from sqlalchemy import Connection

connection: Connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
