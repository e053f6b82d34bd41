"""Setting a database up: the schema created or upgraded, the registry loaded, and what an upgrade must
recompute — above both the tables (etl/db.py) and what reads and writes them, so none of them imports it back."""
from __future__ import annotations

from sqlalchemy import delete, insert
from sqlalchemy.engine import Engine

from .db import place, registry_rows
from .migrate import upgrade
from .recompute import backfill_terms, recompute
from .registry import Registry, default_registry


def init_db(engine: Engine, registry: Registry | None = None) -> int:
    """Create or upgrade the schema (etl/migrate.py) and (re)load the registry; returns the number of communities."""
    registry = registry or default_registry()
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(delete(place))
        conn.execute(insert(place), registry_rows(registry))
        if backfill_terms(conn):                # a database upgraded from before the terms were kept
            recompute(conn)
    return len(registry.communities)
