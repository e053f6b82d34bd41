"""Logins kept on the server: the signed cookie holds a random token, the database its SHA-256, so that logout, a
new password, disabling or an admin ends a session that a copied cookie would otherwise keep open for weeks."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine

from etl.config import Settings
from etl.store.db import app_user, user_session

# last_seen_at is written at most this often: idle time is known to the minute without a write per request.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Lifetimes:
    """How long a session lives without a request (idle), and at most (absolute)."""

    idle: timedelta
    absolute: timedelta

    @classmethod
    def of(cls, settings: Settings) -> Lifetimes:
        return cls(timedelta(hours=settings.session_idle_hours), timedelta(days=settings.session_absolute_days))


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value   # SQLite keeps no zone


def token_hash(token: str) -> str:
    """What the database keeps of a token: a stolen database opens no session."""
    return hashlib.sha256(token.encode()).hexdigest()


def start(engine: Engine, user_id: int, lifetimes: Lifetimes, remote_addr: str | None = None,
          now: datetime | None = None) -> str:
    """A new session of this user; its token goes in the cookie, only the token's hash into the database.
    Sessions that ended or expired are removed on the way (a login is rare enough to pay for it)."""
    now = now or _now()
    token = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(delete(user_session).where(or_(
            user_session.c.ended_at.is_not(None), user_session.c.created_at < now - lifetimes.absolute,
            user_session.c.last_seen_at < now - lifetimes.idle)))
        conn.execute(insert(user_session).values(id_hash=token_hash(token), user_id=user_id, created_at=now,
                                                 last_seen_at=now, remote_addr=(remote_addr or "")[:64] or None))
    return token


def user_id_of(engine: Engine, token: object, lifetimes: Lifetimes, now: datetime | None = None) -> int | None:
    """The user of a live session, or None when the token is unknown, the session ended, sat idle too long or
    is older than the absolute lifetime. Notes the visit (at most once a TOUCH_EVERY)."""
    row = live(engine, token, lifetimes, now)
    return row.user_id if row is not None else None


def live(engine: Engine, token: object, lifetimes: Lifetimes, now: datetime | None = None, with_user: bool = False):
    """The live session's row (see user_id_of) — with its user's columns when `with_user`: one indexed join, what
    every request of a logged-in user reads."""
    if not isinstance(token, str) or not token:
        return None
    now = now or _now()
    query = select(user_session).where(user_session.c.id_hash == token_hash(token))
    if with_user:
        query = (select(user_session.c.id_hash, user_session.c.ended_at, user_session.c.last_seen_at,
                        user_session.c.created_at, user_session.c.user_id, app_user)
                 .join(app_user, app_user.c.id == user_session.c.user_id)
                 .where(user_session.c.id_hash == token_hash(token)))
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None or row.ended_at is not None:
        return None
    seen = _utc(row.last_seen_at)
    if now - seen > lifetimes.idle or now - _utc(row.created_at) > lifetimes.absolute:
        return None
    if now - seen >= TOUCH_EVERY:
        with engine.begin() as conn:
            conn.execute(update(user_session).where(user_session.c.id_hash == row.id_hash,
                                                    user_session.c.ended_at.is_(None)).values(last_seen_at=now))
    return row


def end(engine: Engine, token: object, now: datetime | None = None) -> None:
    """End one session (logout)."""
    if isinstance(token, str) and token:
        with engine.begin() as conn:
            conn.execute(update(user_session).where(user_session.c.id_hash == token_hash(token),
                                                    user_session.c.ended_at.is_(None)).values(ended_at=now or _now()))


def end_all(conn: Connection, user_id: int, now: datetime | None = None) -> int:
    """End every open session of a user, in the caller's transaction; how many were open."""
    result = conn.execute(update(user_session).where(user_session.c.user_id == user_id,
                                                     user_session.c.ended_at.is_(None)).values(ended_at=now or _now()))
    return result.rowcount
