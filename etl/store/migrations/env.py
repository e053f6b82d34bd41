"""Alembic's environment: runs on the connection shequ hands it (etl/store/migrate.py), or on SHEQU_DATABASE_URL."""
from alembic import context
from sqlalchemy import engine_from_config, pool

from etl.store.db import database_url, metadata

config = context.config


def run(connection) -> None:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = engine_from_config({"sqlalchemy.url": database_url()}, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as conn:
        run(conn)
