"""Alembic's environment: the migrations run on the connection `store/schema.py` hands over (no URL, no alembic.ini),
inside its transaction. Imported outside a migration (a test importing every module), it does nothing."""

from alembic import context
from sqlalchemy import Connection


def run_migrations() -> None:
    connection: Connection = context.config.attributes["connection"]
    context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def _under_alembic() -> bool:
    try:
        context.config  # noqa: B018 - Alembic sets it up only while it runs this file
    except (NameError, AttributeError):
        return False
    return True


if _under_alembic():
    run_migrations()
