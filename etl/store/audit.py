"""The audit log: who logged in (or failed to), uploaded, approved, exported, changed a user or ended their
sessions, and when."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection, Engine

from etl.store.db import audit_event

ACTIONS = ("login", "login-failed", "logout", "upload", "dry-run", "approve", "return", "publish", "export",
           "user-add", "user-disable", "user-enable", "end-sessions", "registry-apply", "user-email", "delivery-sent",
           "delivery-failed")


def record(target: Engine | Connection, action: str, username: str | None, remote_addr: str | None = None,
           **detail) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    values = dict(at=datetime.now(timezone.utc), username=username, action=action, remote_addr=remote_addr,
                  detail=json.dumps(detail, ensure_ascii=False, default=str))
    if isinstance(target, Engine):
        with target.begin() as conn:
            conn.execute(insert(audit_event).values(**values))
    else:
        target.execute(insert(audit_event).values(**values))


def events(engine: Engine, limit: int = 500) -> pd.DataFrame:
    with engine.connect() as conn:
        result = conn.execute(select(audit_event).order_by(audit_event.c.id.desc()).limit(limit))
        df = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    return df
