"""The delivery log: each briefing or reminder to one recipient on one channel for a period and schedule slot.

A sender claims its row before sending: the insert of a key already there fails, so two processes running the
same slot (cron and a worker's beat, or two machines) send each message once. A failed row may be claimed again
by a later run of the slot, until MAX_ATTEMPTS tries in all.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from etl.store.db import delivery
from etl.store.queries import read_frame

SENDING, SENT, FAILED, STOPPED = "sending", "sent", "failed", "stopped"
MAX_ATTEMPTS = 12          # tries of one message over every run of its slot: a dead address stops being retried
# A claim still "sending" after this long belongs to a process that died mid-send (a send takes seconds, its
# retries a minute or two): reported as stopped, never retried by itself — it may have gone out.
STALE_AFTER = timedelta(minutes=30)


def claim(engine: Engine, kind: str, period: str, slot: str, channel: str, recipient: str) -> int | None:
    """The row's id when this process may send the message now; None when it was sent, or is being sent."""
    key = dict(kind=kind, period=period, slot=slot, channel=channel, recipient=recipient)
    try:
        with engine.begin() as conn:
            return conn.execute(insert(delivery).values(**key, status=SENDING, attempts=0,
                                                        created_at=datetime.now(UTC))).inserted_primary_key[0]
    except IntegrityError:
        pass
    d = delivery.c
    where = and_(*(d[k] == v for k, v in key.items()), d.status == FAILED, d.attempts < MAX_ATTEMPTS)
    with engine.begin() as conn:             # a failed one: taken again by exactly one process (its status moves)
        row_id = conn.execute(select(d.id).where(where)).scalar()
        if row_id is None:
            return None
        taken = conn.execute(update(delivery).where(d.id == row_id, d.status == FAILED).values(status=SENDING))
    return row_id if taken.rowcount == 1 else None


def finish(engine: Engine, row_id: int, attempts: int, error: str | None) -> None:
    """Record the outcome of a claimed send: sent, or failed with the last error."""
    values = dict(status=FAILED, error=error[:2000]) if error else dict(status=SENT, error=None,
                                                                         sent_at=datetime.now(UTC))
    with engine.begin() as conn:
        conn.execute(update(delivery).where(delivery.c.id == row_id)
                     .values(attempts=delivery.c.attempts + attempts, **values))


def interrupted(engine: Engine, now: datetime | None = None) -> pd.DataFrame:
    """Claims left "sending" by a process that died (older than STALE_AFTER): marked interrupted and returned,
    once each, for the run to report — whether they went out is unknown, so a person decides to resend."""
    d = delivery.c
    cutoff = (now or datetime.now(UTC)) - STALE_AFTER
    with engine.begin() as conn:
        stale = read_frame(conn, select(delivery).where(d.status == SENDING, d.created_at < cutoff))
        if len(stale):
            conn.execute(update(delivery).where(d.id.in_(stale["id"].tolist()), d.status == SENDING)
                         .values(status=STOPPED, error="interrupted: the sending process stopped"))
    return stale


def deliveries(engine: Engine, kind: str | None = None, period: str | None = None) -> pd.DataFrame:
    """The log, oldest first."""
    query = select(delivery).order_by(delivery.c.id)
    if kind:
        query = query.where(delivery.c.kind == kind)
    if period:
        query = query.where(delivery.c.period == period)
    return read_frame(engine, query)
