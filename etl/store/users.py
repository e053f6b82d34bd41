"""Logins: users with roles (viewer, analyst of one county, admin), hashed passwords, throttled attempts."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine
from werkzeug.security import check_password_hash, generate_password_hash

from etl.read.problems import ShequError
from etl.store import sessions, throttle
from etl.store.db import app_user, write_transaction

ROLES = ("viewer", "analyst", "admin")
MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    county_code: str | None
    disabled: bool
    email: str | None = None

    def can_upload_for(self, county_code: str) -> bool:
        """Admins upload for any county; analysts only for their own; viewers never."""
        return self.role == "admin" or (self.role == "analyst" and self.county_code == county_code)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _user(row) -> User:
    return User(row.id, row.username, row.role, row.county_code, bool(row.disabled), row.email)


# One address, as a person types it: a local part, @, a domain with a dot; no spaces, commas or angle brackets
# (which would smuggle a second recipient or a header into the message).
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")


def email_problem(address: str | None) -> str | None:
    """Why an address is unusable, in Chinese and English; None when it is fine (or empty: no e-mail)."""
    if not address:
        return None
    if len(address) > 254 or not _EMAIL.match(address) or ".." in address:
        return f"电子邮箱地址无效：{address!r}（应如 name@example.gov.cn） / not an e-mail address: {address!r}"
    return None


def clean_email(address: str | None) -> str | None:
    """The address stripped (None for none); a ShequError (exit code 2) when it is not an address."""
    address = (address or "").strip() or None
    if (problem := email_problem(address)) is not None:
        raise ShequError(problem, 2)
    return address


def add_user(engine: Engine, username: str, password: str, role: str, county_code: str | None = None,
             email: str | None = None) -> User:
    username = username.strip()
    email = clean_email(email)
    if role not in ROLES:
        raise ShequError(f"role must be one of {', '.join(ROLES)}", 2)
    if role == "analyst" and not county_code:
        raise ShequError("an analyst needs --county", 2)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ShequError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters", 2)
    if not username or len(username) > 64:
        raise ShequError("the user name must have 1 to 64 characters", 2)
    hashed = generate_password_hash(password, method="scrypt")     # before the write lock, not while holding it
    with write_transaction(engine) as conn:
        if conn.execute(select(app_user.c.id).where(app_user.c.username == username)).first():
            raise ShequError(f"user {username!r} exists already", 1)
        conn.execute(insert(app_user).values(
            username=username, password_hash=hashed, role=role,
            county_code=county_code, disabled=False, failed_logins=0, email=email,
            created_at=datetime.now(UTC)))
    return get_user(engine, username)


def get_user(engine: Engine, username: str) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(select(app_user).where(app_user.c.username == username)).first()
    return _user(row) if row else None


def session_user(engine: Engine, token: object, lifetimes: sessions.Lifetimes) -> User | None:
    """The user of a live session (etl/store/sessions.py), read with it in one query; None when it is not live."""
    row = sessions.live(engine, token, lifetimes, with_user=True)
    return _user(row) if row is not None else None


def get_user_by_id(engine: Engine, user_id: int) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(select(app_user).where(app_user.c.id == user_id)).first()
    return _user(row) if row else None


def list_users(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(app_user).order_by(app_user.c.username)).mappings().all()
    return [{k: v for k, v in r.items() if k != "password_hash"} for r in rows]


def set_disabled(engine: Engine, username: str, disabled: bool = True) -> None:
    """Disable (and end every session of) a user, or enable them again."""
    with write_transaction(engine) as conn:
        user_id = _id_of(conn, username)
        conn.execute(update(app_user).where(app_user.c.id == user_id).values(disabled=disabled))
        if disabled:
            sessions.end_all(conn, user_id)


def set_email(engine: Engine, username: str, email: str | None) -> str | None:
    """A user's e-mail address for deliveries (empty: none); the address as stored."""
    email = clean_email(email)
    with write_transaction(engine) as conn:
        user_id = _id_of(conn, username)
        conn.execute(update(app_user).where(app_user.c.id == user_id).values(email=email))
    return email


def set_password(engine: Engine, username: str, password: str) -> None:
    """A new password; every session of the user ends (one opened with the old password included)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ShequError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters", 2)
    hashed = generate_password_hash(password, method="scrypt")     # before the write lock, not while holding it
    with write_transaction(engine) as conn:
        user_id = _id_of(conn, username)
        conn.execute(update(app_user).where(app_user.c.id == user_id).values(password_hash=hashed))
        sessions.end_all(conn, user_id)


def end_sessions(engine: Engine, username: str) -> int:
    """End every session of a user (a lost laptop, a shared computer); how many were open."""
    with write_transaction(engine) as conn:
        return sessions.end_all(conn, _id_of(conn, username))


def _id_of(conn, username: str) -> int:
    user_id = conn.execute(select(app_user.c.id).where(app_user.c.username == username)).scalar()
    if user_id is None:
        raise ShequError(f"no user {username!r}", 1)
    return user_id


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A real scrypt hash of a secret nobody knows, made once: an unknown name is checked against it, at the
    same cost as a known one (werkzeug reads the method and its parameters from the hash)."""
    return generate_password_hash(secrets.token_urlsafe(32), method="scrypt")


class Attempt(NamedTuple):
    """A login attempt's outcome: the user, or why not (for the audit log) and, throttled, how long to wait."""

    user: User | None
    reason: str                       # '' on success, else 'unknown', 'password', 'disabled' or 'throttled'
    retry_after: timedelta | None = None


def authenticate(engine: Engine, username: str, password: str, remote_addr: str | None = None,
                 now: datetime | None = None) -> Attempt:
    """Who logs in, or why not. The reason is for the audit log only: unknown names, wrong passwords and disabled
    accounts (with a wrong password) cost the same work and get the same answer; a disabled account says so only
    to its right password. The attempt is counted (etl.store.throttle) before any hashing; a throttled one is
    answered without hashing, whether the name exists or not."""
    keys = throttle.gates(username, remote_addr)
    verdict = throttle.reserve(engine, keys, now)
    if not verdict.admitted:
        return Attempt(None, "throttled", verdict.retry_after)
    with engine.connect() as conn:
        row = conn.execute(select(app_user).where(app_user.c.username == username)).first()
    right = check_password_hash(row.password_hash if row else dummy_hash(), password)
    if row is None or not right:
        return Attempt(None, "unknown" if row is None else "password")
    if row.disabled:
        return Attempt(None, "disabled")
    throttle.succeeded(engine, keys, now)
    return Attempt(_user(row), "")
