"""Setting a database up: the schema created or upgraded, the registry loaded, and what an upgrade must
recompute — above both the tables (etl/store/db.py) and what reads and writes them, so none of them imports it back."""
from __future__ import annotations

from sqlalchemy import delete, insert
from sqlalchemy.engine import Engine

from etl.registry import Registry, default_registry
from etl.store.db import place, registry_rows
from etl.store.migrate import upgrade
from etl.store.recompute import backfill_terms, recompute


def init_db(engine: Engine, registry: Registry | None = None) -> int:
    """Create or upgrade the schema (etl/store/migrate.py) and (re)load the registry; returns the number of communities."""
    registry = registry or default_registry()
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(delete(place))
        conn.execute(insert(place), registry_rows(registry))
        if backfill_terms(conn):                # a database upgraded from before the terms were kept
            recompute(conn)
    return len(registry.communities)
