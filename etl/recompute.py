"""Keeps the stored indicator table equal to what the counted submissions give, period by period."""
from __future__ import annotations

import math

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from . import indicators
from .db import indicator_value, place, submission
from .queries import BASES, community_rows, link_rows


def expected_counties(conn: Connection) -> list[str]:
    return [c for (c,) in conn.execute(select(place.c.code).where(place.c.level == "county").order_by(place.c.code))]


def recompute(conn: Connection, periods: list[str] | None = None) -> int:
    """Recompute both bases for the periods (all periods with a submission when None); returns rows written.

    Runs inside the caller's transaction, so a load and its indicators commit together.
    """
    if periods is None:
        periods = [p for (p,) in conn.execute(select(submission.c.period).distinct())]
    counties = expected_counties(conn)
    written = 0
    for basis in BASES:
        rows = community_rows(conn, basis, periods)
        links = link_rows(conn, basis, periods)
        values = indicators.compute(rows, links, counties, [p for p in periods if p in set(rows["period"])])
        conn.execute(delete(indicator_value).where(indicator_value.c.basis == basis,
                                                   indicator_value.c.period.in_(periods)))
        records = [{"basis": basis, "period": p, "level": lv, "area_code": a, "indicator": i,
                    "value": None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)}
                   for p, lv, a, i, v in values[indicators.RESULT_COLUMNS].itertuples(index=False)]
        if records:
            conn.execute(insert(indicator_value), records)
        written += len(records)
    return written
