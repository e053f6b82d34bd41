"""Login back-off shared by every server process, in place of a lock-out any stranger could set off.

Each attempt counts on three keys: the client address (`ip:<addr>`), the account from that address
(`user:<name>@<addr>`: a stranger elsewhere cannot block the real user's own address) and, more loosely, the
account (`user:<name>`). After a key's free attempts every further one waits out a back-off that doubles up to
MAX_WAIT. The attempt is counted BEFORE the password is checked, one atomic upsert per key in one short
transaction, so parallel guesses cannot all slip through a gate; no transaction is open while a password is hashed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, case, delete, func, literal, null, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from etl.store.db import login_throttle, write_transaction

PER_ADDRESS = 20                 # attempts, any names, from one address
PER_ACCOUNT_AND_ADDRESS = 5      # attempts at one account from one address
PER_ACCOUNT = 50                 # attempts at one account from anywhere
FIRST_WAIT = timedelta(minutes=1)
MAX_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)    # a key without attempts for this long starts again from nothing

Gate = tuple[str, int]           # a key and its free attempts


@dataclass(frozen=True)
class Verdict:
    """Whether an attempt may check its password; if not, how long until it may."""

    admitted: bool
    retry_after: timedelta = timedelta(0)


class _Refused(Exception):
    """A key is waiting out its back-off: the attempt's transaction is rolled back."""


def gates(username: str, remote_addr: str | None) -> list[Gate]:
    """The keys an attempt counts on, always in this order (parallel transactions lock them alike: no deadlock)."""
    addr, name = (remote_addr or "-")[:64], username[:64]          # within the key column's 160 characters
    return [(f"ip:{addr}", PER_ADDRESS), (f"user:{name}@{addr}", PER_ACCOUNT_AND_ADDRESS),
            (f"user:{name}", PER_ACCOUNT)]


def waits() -> list[timedelta]:
    """The back-off after the free attempts: FIRST_WAIT, doubling, the last one MAX_WAIT."""
    found = [FIRST_WAIT]
    while found[-1] < MAX_WAIT:
        found.append(min(found[-1] * 2, MAX_WAIT))
    return found


def _now() -> datetime:
    return datetime.now(UTC)


def _when(value: datetime):
    return literal(value, login_throttle.c.blocked_until.type)


def _blocked_until(failures, free: int, now: datetime):
    """The back-off as SQL over the new count: none below `free`, then each wait in turn, then MAX_WAIT."""
    steps = [(failures < free, null())]
    steps += [(failures == free + i, _when(now + wait)) for i, wait in enumerate(waits()[:-1])]
    return case(*steps, else_=_when(now + MAX_WAIT))


def _count(conn: Connection, key: str, free: int, now: datetime) -> bool:
    """Count one attempt on the key unless it is waiting out a back-off (then False): INSERT … ON CONFLICT DO
    UPDATE … WHERE … RETURNING, one statement, so that the count and the gate cannot be raced."""
    table = login_throttle
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    failures = case((table.c.last_failure_at < now - FORGET_AFTER, 1), else_=table.c.failures + 1)
    statement = dialect_insert(table).values(key=key, failures=1, last_failure_at=now,
                                             blocked_until=now + FIRST_WAIT if free <= 1 else None)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={"failures": failures, "last_failure_at": now, "blocked_until": _blocked_until(failures, free, now)},
        where=or_(table.c.blocked_until.is_(None), table.c.blocked_until <= now),
    ).returning(table.c.failures)
    return conn.execute(statement).first() is not None


def _longest_wait(conn: Connection, keys: list[Gate], now: datetime) -> timedelta:
    """Until every key of the attempt admits again: what the login page tells the visitor to wait."""
    until = conn.execute(select(func.max(login_throttle.c.blocked_until))
                         .where(login_throttle.c.key.in_([key for key, _ in keys]))).scalar_one()
    return (until.replace(tzinfo=UTC) if until.tzinfo is None else until) - now


def reserve(engine: Engine, keys: list[Gate], now: datetime | None = None) -> Verdict:
    """Count this attempt on every key before its password is checked. Admitted when no key is waiting out a
    back-off; a refused attempt counts nowhere (its transaction is rolled back) and needs no hashing."""
    now = now or _now()
    try:
        with write_transaction(engine) as conn:
            if not all(_count(conn, key, free, now) for key, free in keys):
                raise _Refused
    except _Refused:
        with engine.connect() as conn:        # read after the rollback: only the waits that stand
            return Verdict(False, _longest_wait(conn, keys, now))
    return Verdict(True)


def succeeded(engine: Engine, keys: list[Gate], now: datetime | None = None) -> None:
    """A right password: the account-from-this-address key starts again, the others give this attempt back (an
    office behind one address logs in all morning), and counters forgotten long ago are removed."""
    now = now or _now()
    table = login_throttle
    (address, _), (account_here, _), (account, _) = keys
    with write_transaction(engine) as conn:
        conn.execute(delete(table).where(table.c.key == account_here))
        conn.execute(update(table).where(table.c.key.in_([address, account]), table.c.failures > 0)
                     .values(failures=table.c.failures - 1))
        conn.execute(delete(table).where(and_(table.c.last_failure_at < now - FORGET_AFTER,
                                              or_(table.c.blocked_until.is_(None), table.c.blocked_until <= now))))
