"""Logins: users with roles (viewer, analyst of one county, admin), hashed passwords, lockout after failures."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine
from werkzeug.security import check_password_hash, generate_password_hash

from etl.read.problems import ShequError
from etl.store.db import app_user, write_transaction

ROLES = ("viewer", "analyst", "admin")
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    county_code: str | None
    disabled: bool

    def can_upload_for(self, county_code: str) -> bool:
        """Admins upload for any county; analysts only for their own; viewers never."""
        return self.role == "admin" or (self.role == "analyst" and self.county_code == county_code)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _user(row) -> User:
    return User(row.id, row.username, row.role, row.county_code, bool(row.disabled))


def add_user(engine: Engine, username: str, password: str, role: str, county_code: str | None = None) -> User:
    username = username.strip()
    if role not in ROLES:
        raise ShequError(f"role must be one of {', '.join(ROLES)}", 2)
    if role == "analyst" and not county_code:
        raise ShequError("an analyst needs --county", 2)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ShequError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters", 2)
    if not username or len(username) > 64:
        raise ShequError("the user name must have 1 to 64 characters", 2)
    with write_transaction(engine) as conn:
        if conn.execute(select(app_user.c.id).where(app_user.c.username == username)).first():
            raise ShequError(f"user {username!r} exists already", 1)
        conn.execute(insert(app_user).values(
            username=username, password_hash=generate_password_hash(password, method="scrypt"), role=role,
            county_code=county_code if role == "analyst" else county_code, disabled=False, failed_logins=0,
            created_at=datetime.now(timezone.utc)))
    return get_user(engine, username)


def get_user(engine: Engine, username: str) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(select(app_user).where(app_user.c.username == username)).first()
    return _user(row) if row else None


def get_user_by_id(engine: Engine, user_id: int) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(select(app_user).where(app_user.c.id == user_id)).first()
    return _user(row) if row else None


def list_users(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(app_user).order_by(app_user.c.username)).mappings().all()
    return [{k: v for k, v in r.items() if k != "password_hash"} for r in rows]


def set_disabled(engine: Engine, username: str, disabled: bool = True) -> None:
    with write_transaction(engine) as conn:
        changed = conn.execute(update(app_user).where(app_user.c.username == username).values(disabled=disabled))
    if not changed.rowcount:
        raise ShequError(f"no user {username!r}", 1)


def set_password(engine: Engine, username: str, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ShequError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters", 2)
    with write_transaction(engine) as conn:
        conn.execute(update(app_user).where(app_user.c.username == username).values(
            password_hash=generate_password_hash(password, method="scrypt"), failed_logins=0, locked_until=None))


def authenticate(engine: Engine, username: str, password: str, now: datetime | None = None) -> tuple[User | None, str]:
    """(user, '') on success; (None, reason) otherwise — reason is 'unknown', 'disabled', 'locked' or 'password'.

    Five failures in a row lock the account for 15 minutes; a success resets the count.
    """
    now = now or datetime.now(timezone.utc)
    with write_transaction(engine) as conn:
        row = conn.execute(select(app_user).where(app_user.c.username == username)).first()
        if row is None:
            check_password_hash(generate_password_hash("x", method="pbkdf2"), password)  # same work either way
            return None, "unknown"
        if row.disabled:
            return None, "disabled"
        locked_until = row.locked_until
        if locked_until is not None and locked_until.tzinfo is None:
            locked_until = locked_until.replace(tzinfo=timezone.utc)
        if locked_until and locked_until > now:
            return None, "locked"
        if not check_password_hash(row.password_hash, password):
            failures = (row.failed_logins or 0) + 1
            values = {"failed_logins": failures}
            if failures >= MAX_FAILED_LOGINS:
                values.update(failed_logins=0, locked_until=now + LOCKOUT)
            conn.execute(update(app_user).where(app_user.c.id == row.id).values(**values))
            return None, "locked" if failures >= MAX_FAILED_LOGINS else "password"
        conn.execute(update(app_user).where(app_user.c.id == row.id).values(failed_logins=0, locked_until=None))
        return _user(row), ""
