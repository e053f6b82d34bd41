"""Setting a database up: the schema created or upgraded, the city and its registry loaded (or kept), its county
boundaries stored, and what an upgrade must recompute — above both the tables (etl/store/db.py) and what reads and
writes them, so none of them imports it back."""
from __future__ import annotations

import json

from sqlalchemy import delete, func, insert, inspect, select
from sqlalchemy.engine import Engine

from etl.read.problems import ShequError
from etl.registry import City, Registry, default_registry
from etl.store.db import (city_boundary, place, registry_change_set, registry_from_db, registry_rows,
                          submission)
from etl.store.migrate import upgrade
from etl.store.recompute import backfill_terms, recompute


def _existing(engine: Engine) -> tuple[Registry | None, int]:
    """The registry the database holds (None for a new one) and how many returns it has."""
    tables = set(inspect(engine).get_table_names())
    if "place" not in tables:
        return None, 0
    with engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(place)).scalar() == 0:
            return None, 0
        returns = conn.execute(select(func.count()).select_from(submission)).scalar() if "submission" in tables else 0
    return registry_from_db(engine), returns


def _changed(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(select(func.count()).select_from(registry_change_set)).scalar())


def held_city(engine: Engine) -> City | None:
    """The city of a database that has a registry already; None for a new one."""
    held = _existing(engine)[0]
    return held.city if held is not None else None


def check_city_boundaries(geojson: dict, registry: Registry) -> None:
    """Refuse boundaries that will not draw the registry's counties, listing every problem (etl/national.py)."""
    from etl.national import check_boundaries
    problems = check_boundaries(geojson, registry.counties)
    if problems:
        shown = "\n  ".join(problems[:20]) + (f"\n  … 共{len(problems)}个问题" if len(problems) > 20 else "")
        raise ShequError(f"边界文件不能用于{registry.city.name}（数据库未改动） / the boundaries file does not fit "
                         f"{registry.city.name_en} (nothing changed):\n  {shown}")


def init_db(engine: Engine, registry: Registry | None = None, boundaries: dict | None = None) -> int:
    """Create or upgrade the schema (etl/store/migrate.py) and load the registry: the one given, else the one the
    database holds, else Yulin's (a new database); store the city's county boundaries when given. Everything is
    checked before anything is written. Returns the number of communities."""
    held, returns = _existing(engine)
    target = registry or held or default_registry()
    if held is not None and returns and target.city.code != held.city.code:
        raise ShequError(f"数据库已有{held.city.name}的{returns}份报表，不能改为{target.city.name}（报表与名录不符）；"
                         f"请为新城市使用新的数据库 / the database holds {returns} returns of {held.city.name_en}: "
                         f"it cannot become {target.city.name_en}'s (use a new database for another city)")
    if boundaries is not None:
        check_city_boundaries(boundaries, target)
    upgrade(engine)
    if registry is not None and held is not None and _changed(engine):
        raise ShequError("此数据库的区划名录已应用变更，新的名录请用 shequ registry apply 变更文件载入（名录未改动）"
                         " / this database's registry has change sets applied: a newer registry goes in as a change "
                         "file with `shequ registry apply` (nothing changed)")
    with engine.begin() as conn:
        if registry is not None or held is None:
            conn.execute(delete(place))
            conn.execute(insert(place), registry_rows(target))
        conn.execute(delete(city_boundary).where(city_boundary.c.city_code != target.city.code))
        if boundaries is not None:
            conn.execute(delete(city_boundary))
            conn.execute(insert(city_boundary), [{"city_code": target.city.code,
                                                  "geojson": json.dumps(boundaries, ensure_ascii=False)}])
        if backfill_terms(conn):                # a database upgraded from before the terms were kept
            recompute(conn)
    return len(target.communities)
