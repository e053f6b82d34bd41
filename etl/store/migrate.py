"""Schema migrations (Alembic, etl/store/migrations/): `shequ init` creates a new database or upgrades one in place."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from etl.store.db import metadata

FIRST_RELEASE = "0001"


def _config(connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> str:
    """A new database gets today's schema, stamped; an older one is migrated to it. Returns the revision."""
    with engine.begin() as conn:
        tables = set(inspect(conn).get_table_names())
        config = _config(conn)
        if "alembic_version" not in tables and "submission" not in tables:
            metadata.create_all(conn)
            command.stamp(config, "head")
        else:
            if "alembic_version" not in tables:   # made by the first release before it recorded revisions
                command.stamp(config, FIRST_RELEASE)
            command.upgrade(config, "head")
    return current(engine)
