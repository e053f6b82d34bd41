"""Publishing a period: once all counties' returns are approved, its figures are frozen as an official version."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from etl.read.problems import ShequError
from etl.store.db import indicator_value, publication, publication_value, write_transaction
from etl.store.queries import counted_submissions, read_frame
from etl.store.recompute import expected_counties


def approved_counties(engine: Engine, period: str) -> dict[str, int]:
    """county → the approved submission that counts for the period."""
    from etl.store.db import submission
    ids = counted_submissions("approved", [period])
    query = select(submission.c.county_code, submission.c.id).join(ids, ids.c.id == submission.c.id)
    with engine.connect() as conn:
        return {c: i for c, i in conn.execute(query)}


def publish(engine: Engine, period: str, username: str) -> int:
    """Freeze the approved indicator values of the period as a new version; returns the version number."""
    with write_transaction(engine, serialise_loads=True) as conn:
        counties = expected_counties(conn)
        approved = approved_counties(engine, period)
        missing = [c for c in counties if c not in approved]
        if missing:
            raise ShequError(f"period {period} cannot be published: not approved yet for {', '.join(missing)}")
        ids = sorted(approved.values())
        last = conn.execute(select(publication.c.version, publication.c.submission_ids)
                            .where(publication.c.period == period).order_by(publication.c.version.desc())).first()
        if last and json.loads(last.submission_ids) == ids:
            return last.version            # nothing changed since the last version
        version = (last.version if last else 0) + 1
        pub_id = conn.execute(insert(publication).values(
            period=period, version=version, published_at=datetime.now(timezone.utc), published_by=username,
            submission_ids=json.dumps(ids))).inserted_primary_key[0]
        rows = conn.execute(select(indicator_value.c.area_code, indicator_value.c.indicator, indicator_value.c.level,
                                   indicator_value.c.value)
                            .where(indicator_value.c.basis == "approved", indicator_value.c.period == period))
        records = [{"publication_id": pub_id, **r._asdict()} for r in rows]
        if records:
            conn.execute(insert(publication_value), records)
    return version


def publications(engine: Engine) -> pd.DataFrame:
    return read_frame(engine, select(publication).order_by(publication.c.period, publication.c.version))


def published_values(engine: Engine, period: str, version: int | None = None) -> pd.DataFrame:
    """The frozen values of a published period (the latest version unless one is named)."""
    query = select(publication.c.id, publication.c.version).where(publication.c.period == period)
    with engine.connect() as conn:
        if version is None:
            row = conn.execute(query.order_by(publication.c.version.desc())).first()
        else:
            row = conn.execute(query.where(publication.c.version == version)).first()
    if row is None:
        return pd.DataFrame(columns=["area_code", "indicator", "level", "value"])
    return read_frame(engine, select(publication_value.c.area_code, publication_value.c.indicator,
                                 publication_value.c.level, publication_value.c.value)
                  .where(publication_value.c.publication_id == row.id))
