"""The database: SQLAlchemy Core tables (SQLite embedded, PostgreSQL for a server) and the engine."""
from __future__ import annotations

import itertools
import os
import re
from contextlib import contextmanager

import pandas as pd
from sqlalchemy import (Boolean, Column, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, MetaData, String,
                        Table, Text, UniqueConstraint, create_engine, event, func, inspect, select)
from sqlalchemy.engine import Connection, Engine

from etl.gcpause import cycle_collection_paused
from etl.read.schema import STORED_COMMUNITY_FIELDS, Field
from etl.registry import DEFAULT_CITY, City, Registry, county_name_en, default_registry

DEFAULT_URL = "sqlite:///shequ.db"

metadata = MetaData()

place = Table(
    "place", metadata,
    Column("code", String(12), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("name_en", String(64)),
    Column("level", String(12), nullable=False),        # city | county | township | community
    Column("parent_code", String(12)),
    Column("kind", String(8)),                          # 城市社区 | 乡镇社区 (communities and townships)
    Index("ix_place_level", "level", "code"),           # the counties, listed by every load's recompute
)

submission = Table(
    "submission", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("county_code", String(6), nullable=False),
    Column("period", String(8), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("uploaded_by", String(64), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
    Column("status", String(12), nullable=False),       # submitted | approved | returned | superseded
    Column("status_changed_at", DateTime(timezone=True), nullable=False),
    Column("comment", Text),
    Column("warnings", Text, nullable=False, default="[]"),  # JSON list of Problem dicts
    Column("n_communities", Integer, nullable=False),
    Column("n_links", Integer, nullable=False),
    Index("ix_submission_county_period", "county_code", "period"),
    Index("ix_submission_sha256", "sha256"),
)

_SQL_TYPES = {"number": Float, "int": Integer, "bool": Boolean}


def _value_column(f: Field) -> Column:
    """A community field's column: a number Float, a whole number Integer, yes/no Boolean, text a String."""
    if f.type in _SQL_TYPES:
        return Column(f.column, _SQL_TYPES[f.type])
    if not f.length:
        raise ValueError(f"the stored text field {f.name} needs a length (its column's width)")
    return Column(f.column, String(f.length))


# Derived from the return's fields; the migrations in etl/store/migrations/versions/ describe the same columns.
_COMMUNITY_VALUE_COLUMNS = tuple(map(_value_column, STORED_COMMUNITY_FIELDS))

community_return = Table(
    "community_return", metadata,
    Column("submission_id", Integer, ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True),
    Column("community_code", String(12), primary_key=True),
    *_COMMUNITY_VALUE_COLUMNS,
    Column("sheet", String(64), nullable=False),
    Column("source_row", Integer, nullable=False),      # the row number Excel shows
    Index("ix_community_return_community", "community_code"),
)
COMMUNITY_VALUE_FIELDS = tuple(c.name for c in _COMMUNITY_VALUE_COLUMNS)

leader_link = Table(
    "leader_link", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("submission.id", ondelete="CASCADE"), nullable=False),
    Column("leader_name", String(64), nullable=False),
    Column("leader_level", String(8), nullable=False),
    Column("leader_post", String(128)),
    Column("community_code", String(12), nullable=False),
    Column("sheet", String(64), nullable=False),
    Column("source_row", Integer, nullable=False),
    Index("ix_leader_link_submission", "submission_id"),
    Index("ix_leader_link_community", "community_code"),
)

# What each submission's community rows add to every community-table indicator (the sums of its numerator and
# denominator terms, etl/compute/indicators.py): written at load, so recomputing a period adds up a few numbers per
# county instead of reading every community row again.
submission_term = Table(
    "submission_term", metadata,
    Column("submission_id", Integer, ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True),
    Column("indicator", String(40), primary_key=True),
    Column("a", Float, nullable=False),
    Column("b", Float, nullable=False),
)

# Computed on write, read by key: (basis, period, area) → value, for the city and the counties (a community's own
# values are computed when read, from its row). basis 'current' counts the newest submitted or
# approved return of each county and period; 'approved' only approved ones.
indicator_value = Table(
    "indicator_value", metadata,
    Column("basis", String(8), primary_key=True),
    Column("period", String(8), primary_key=True),
    Column("area_code", String(12), primary_key=True),
    Column("indicator", String(40), primary_key=True),
    Column("level", String(10), nullable=False),        # city | county | community
    Column("value", Float),
    Index("ix_indicator_value_level", "basis", "level", "period"),
)


app_user = Table(
    "app_user", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(256), nullable=False),
    Column("role", String(8), nullable=False),          # viewer | analyst | admin
    Column("county_code", String(6)),                   # an analyst's county
    Column("disabled", Boolean, nullable=False, default=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("email", String(254)),                       # where briefings and reminders go (none: nothing sent)
)

audit_event = Table(
    "audit_event", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("username", String(64)),
    Column("action", String(32), nullable=False),       # login, login-failed, upload, approve, export, user-…
    Column("detail", Text, nullable=False, default="{}"),  # JSON
    Column("remote_addr", String(64)),
    Index("ix_audit_event_at", "at"),
)

# A published period: the approved indicator values frozen as they were; a later correction is a new version.
publication = Table(
    "publication", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("period", String(8), nullable=False),
    Column("version", Integer, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("published_by", String(64), nullable=False),
    Column("submission_ids", Text, nullable=False),     # JSON list: the approved returns it froze
)

publication_value = Table(
    "publication_value", metadata,
    Column("publication_id", Integer, ForeignKey("publication.id", ondelete="CASCADE"), primary_key=True),
    Column("area_code", String(12), primary_key=True),
    Column("indicator", String(40), primary_key=True),
    Column("level", String(10), nullable=False),
    Column("value", Float),
)

# A checked upload waiting for its submission: in the database, so that any web server or job worker of a
# deployment (several machines with Celery) can submit what another checked. Deleted when it expires.
upload_waiting = Table(
    "upload_waiting", metadata,
    Column("token", String(64), primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("problems", LargeBinary),                    # the check's full problem list (gzip JSON), for download
)


# A login's session on the server: the signed cookie holds only its id, so that logging out, a password change,
# disabling the user or an admin's "end all sessions" ends it at once, and idle and absolute lifetimes hold.
# The id is kept as its SHA-256: a copy of the table opens no session.
user_session = Table(
    "user_session", metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("remote_addr", String(64)),
    Index("ix_user_session_user", "user_id"),
)

# Login attempts counted per key (a client address, an account, an account from one address), shared by every
# server process: back-off instead of a lock-out any stranger could set off. Each attempt is counted by one atomic
# upsert before its password is checked (etl/store/throttle.py).
login_throttle = Table(
    "login_throttle", metadata,
    Column("key", String(160), primary_key=True),
    Column("failures", Integer, nullable=False, default=0),
    Column("last_failure_at", DateTime(timezone=True), nullable=False),
    Column("blocked_until", DateTime(timezone=True)),
)

# A city's county boundaries given with `shequ init --boundaries` (the shipped ones of Guangxi's cities are read
# from etl/data/boundaries): a GeoJSON FeatureCollection, feature id = 6-digit county code, checked when stored.
city_boundary = Table(
    "city_boundary", metadata,
    Column("city_code", String(12), primary_key=True),
    Column("geojson", Text, nullable=False),
)

# Every briefing or reminder sent (or tried) to one recipient on one channel: the unique key makes "nothing is sent
# twice for the same period and schedule slot" hold across processes — a sender first inserts its row (a claim),
# and a second process's insert of the same key fails (etl/store/deliveries.py).
delivery = Table(
    "delivery", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(12), nullable=False),         # briefing | reminder
    Column("period", String(8), nullable=False),
    Column("slot", String(40), nullable=False),         # the schedule's slot (2026-12-07 08:00) or manual:<when>
    Column("channel", String(12), nullable=False),      # email | wecom | dingtalk
    Column("recipient", String(254), nullable=False),   # an address, or the robot's name
    Column("status", String(10), nullable=False),       # sending | sent | failed | stopped (mid-send)
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    UniqueConstraint("kind", "period", "slot", "channel", "recipient", name="uq_delivery_slot_recipient"),
)

# The registry over the years (spec/registry.md, etl/registry_history.py). `place` holds the newest registry;
# each community's states with the periods they held are its eras (one per community, valid always, until a
# change set ends one), and every applied change set is kept with its rows, who applied it and when.
community_era = Table(
    "community_era", metadata,
    Column("code", String(12), primary_key=True),
    Column("valid_from", String(8), primary_key=True),  # '' = from the start
    Column("valid_until", String(8)),                   # the first period it no longer holds; NULL = still
    Column("name", String(64), nullable=False),
    Column("township_code", String(12), nullable=False),
    Column("township_name", String(64), nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("kind", String(8), nullable=False),
)

registry_change_set = Table(
    "registry_change_set", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("effective_period", String(8), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("applied_by", String(64), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
    Column("summary", Text, nullable=False),            # JSON: changes by kind, periods recomputed
)

registry_change = Table(
    "registry_change", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("change_set_id", Integer, ForeignKey("registry_change_set.id", ondelete="CASCADE"), nullable=False),
    Column("source_row", Integer, nullable=False),
    Column("change", String(8), nullable=False),        # rename | merge | split | new | abolish | move
    Column("old_code", String(12)),
    Column("new_code", String(12)),
    Column("new_name", String(64)),
    Column("township_code", String(12)),
    Column("township_name", String(64)),
    Column("county_code", String(6)),
    Column("kind", String(8)),
    Column("note", Text),
    Index("ix_registry_change_set", "change_set_id"),
)


def _column(df: pd.DataFrame, name: str) -> list:
    """A column as Python values, NaN and NA as None (vectorised: numpy turns its scalars into Python ones)."""
    column = df[name]
    values = column.to_numpy(dtype=object)
    missing = column.isna().to_numpy()         # by the column's own dtype: not a check of each Python object
    if missing.any():
        values = values.copy()
        values[missing] = None
    return values.tolist()


def _tuples(df: pd.DataFrame, columns: list[str], extra: tuple) -> list[tuple]:
    """The frame's rows as tuples of Python values (the constants zipped in as columns: one tuple a row)."""
    by_column = [_column(df, c) if c in df.columns else [None] * len(df) for c in columns]
    return list(zip(*map(itertools.repeat, extra), *by_column)) if by_column else []


def bulk_insert(conn: Connection, table, df: pd.DataFrame, columns: list[str], **constant) -> int:
    """Insert a frame's rows fast: COPY on PostgreSQL, the driver's executemany elsewhere.

    Bypasses SQLAlchemy's per-row parameter processing, which dominated the load of a 100,000-row return.
    """
    if df.empty:
        return 0
    names = list(constant) + columns
    with cycle_collection_paused():           # a tuple a row
        return _insert(conn, table, names, _tuples(df, columns, tuple(constant.values())))


def _insert(conn: Connection, table, names: list[str], rows: list[tuple]) -> int:
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return len(rows)
    placeholders = ", ".join("?" if conn.dialect.paramstyle == "qmark" else "%s" for _ in names)
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({placeholders})", rows)
    return len(rows)


WRITE_CACHE_KIB = 32 * 1024


@contextmanager
def write_transaction(engine: Engine, serialise_loads: bool = False):
    """A transaction that will write, holding the database's write lock from its first statement.

    SQLite: a transaction that reads and then writes cannot wait for another writer (SQLITE_BUSY at once, in WAL
    mode), so the lock is taken before the reads. PostgreSQL locks rows as it goes; loads and approvals, which
    decide from what they read which submission counts, also lock the submission table (serialise_loads).
    """
    with engine.connect() as conn, _write_cache(conn), conn.begin():
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("UPDATE submission SET id = id WHERE 0")
        elif conn.dialect.name == "postgresql" and serialise_loads:
            conn.exec_driver_sql("LOCK TABLE submission IN SHARE ROW EXCLUSIVE MODE")
        yield conn


@contextmanager
def _write_cache(conn: Connection):
    """SQLite: a page cache big enough for a large return's rows and index entries while it is written.

    With the default 2 MB, a 100,000-row load spills dirty pages to the WAL before its commit (a fifth of its
    insert time); the connection goes back to the pool with the default again, so a server keeps little memory.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.driver_connection          # outside SQLAlchemy: a PRAGMA must not begin a transaction
    default = raw.execute("PRAGMA cache_size").fetchone()[0]
    raw.execute(f"PRAGMA cache_size={-WRITE_CACHE_KIB}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size={default}")


def database_url(url: str | None = None) -> str:
    return url or os.environ.get("SHEQU_DATABASE_URL") or DEFAULT_URL


def shown_url(url: str) -> str:
    """A database URL to print or log: its password as ***. Anything that shows a URL shows this one."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:                      # not a URL SQLAlchemy reads: at least no password
        return redact_urls(url)


def redact_urls(text: str) -> str:
    """Any URL's password in a message (scheme://user:password@host) as ***: errors quote URLs they could not use."""
    return re.sub(r"(://[^:/@\s]*:)[^@\s]+@", r"\1***@", text)


def make_engine(url: str | None = None) -> Engine:
    """An engine for the URL (or SHEQU_DATABASE_URL, or ./shequ.db); SQLite gets WAL and foreign keys."""
    url = database_url(url)
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            if ":memory:" not in url and url != "sqlite://":
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()
            # Let SQLAlchemy, not the driver, decide when a transaction begins (pysqlite's own handling would
            # start it late and break the write lock taken in load.py).
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            conn.exec_driver_sql("BEGIN")
    return engine


def registry_rows(registry: Registry) -> list[dict]:
    """The place table's rows of a registry: its city, counties (with English names), townships, communities."""
    city = registry.city
    rows = [{"code": city.code, "name": city.name, "name_en": city.name_en, "level": "city", "parent_code": None,
             "kind": None}]
    seen: set[str] = set()
    for c in registry.communities:
        if c.county_code not in seen:
            seen.add(c.county_code)
            rows.append({"code": c.county_code, "name": c.county_name,
                         "name_en": county_name_en(c.county_code, c.county_name), "level": "county",
                         "parent_code": city.code, "kind": None})
        if c.township_code not in seen:
            seen.add(c.township_code)
            rows.append({"code": c.township_code, "name": c.township_name, "name_en": None, "level": "township",
                         "parent_code": c.county_code, "kind": c.kind})
        rows.append({"code": c.code, "name": c.name, "name_en": None, "level": "community",
                     "parent_code": c.township_code, "kind": c.kind})
    return rows


def registry_from_db(engine: Engine, history: bool = True) -> Registry:
    """The newest registry (the one `shequ init` loaded, changed by the change sets applied since), with its
    history: `.in_force(period)` is the registry a period's return is validated against.

    Cached per database while its place table and change sets are unchanged (a national registry takes a second
    to build). `history=False`: without it, for a database not yet upgraded to keep change sets.
    """
    with engine.connect() as conn:
        fingerprint = tuple(conn.execute(select(func.count(), func.min(place.c.code), func.max(place.c.code),
                                                func.sum(func.length(place.c.name)))).one())
        if history and _keeps_change_sets(conn):
            fingerprint += tuple(conn.execute(select(func.count(), func.max(registry_change_set.c.id))).one())
    return _registry_from_db(str(engine.url), fingerprint, engine)


_REGISTRY_CACHE: dict = {}


def _keeps_change_sets(conn: Connection) -> bool:
    """Whether the database is upgraded to keep change sets (migration 0009): a catalog lookup, asked each time
    (a test's database of the same URL can be an older one)."""
    return inspect(conn).has_table("registry_change_set")


def _registry_from_db(url: str, fingerprint: tuple, engine: Engine) -> Registry:
    key = (url, fingerprint)
    if key not in _REGISTRY_CACHE:
        _REGISTRY_CACHE.clear()          # one database at a time is the common case; keep memory bounded
        _REGISTRY_CACHE[key] = _read_registry(engine, with_history=len(fingerprint) > 4)
    return _REGISTRY_CACHE[key]


def _read_registry(engine: Engine, with_history: bool) -> Registry:
    from etl.registry import Community
    with engine.connect() as conn:
        rows = conn.execute(select(place)).mappings().all()
    if not rows:
        return default_registry()
    by_code = {r["code"]: r for r in rows}
    city = next((City(r["code"], r["name"], r["name_en"] or r["name"]) for r in rows if r["level"] == "city"),
                DEFAULT_CITY)
    communities = []
    for r in rows:
        if r["level"] != "community":
            continue
        town = by_code[r["parent_code"]]
        county = by_code[town["parent_code"]]
        communities.append(Community(r["code"], r["name"], town["code"], town["name"], county["code"], county["name"],
                                     r["kind"]))
    newest = Registry(tuple(sorted(communities, key=lambda c: c.code)), city)
    history = read_history(engine, newest) if with_history else None
    if history is None:
        return newest
    return Registry(newest.communities, city, history.in_force(history.changes[-1].effective).retired, history)


def read_history(engine: Engine, newest: Registry):
    """The registry's eras and applied changes (etl/registry_history.py), or None when no change set was applied."""
    from etl.registry import Community
    from etl.registry_history import Change, Era, RegistryHistory
    with engine.connect() as conn:
        changes = conn.execute(select(registry_change, registry_change_set.c.effective_period)
                               .join(registry_change_set, registry_change_set.c.id == registry_change.c.change_set_id)
                               .order_by(registry_change_set.c.id, registry_change.c.id)).mappings().all()
        if not changes:
            return None
        eras = conn.execute(select(community_era)).mappings().all()
    counties = newest.counties
    return RegistryHistory(newest.city, tuple(
        Era(Community(e["code"], e["name"], e["township_code"], e["township_name"], e["county_code"],
                      counties.get(e["county_code"], e["county_code"]), e["kind"]), e["valid_from"], e["valid_until"])
        for e in eras), tuple(
        Change(c["effective_period"], c["change"], c["old_code"] or "", c["new_code"] or "", c["new_name"] or "",
               c["township_code"] or "", c["township_name"] or "", c["county_code"] or "", c["kind"] or "",
               c["note"] or "", c["source_row"]) for c in changes))


def stored_boundaries(engine: Engine, city_code: str) -> dict | None:
    """The county boundaries stored for the city by `shequ init --boundaries`, or None."""
    import json
    with engine.connect() as conn:
        text = conn.execute(select(city_boundary.c.geojson).where(city_boundary.c.city_code == city_code)).scalar()
    return json.loads(text) if text else None


def city_from_db(engine: Engine) -> City:
    """The city the database serves (its place table's city row, one indexed read: every page's title asks);
    Yulin's for a database without a registry."""
    with engine.connect() as conn:
        row = conn.execute(select(place.c.code, place.c.name, place.c.name_en).where(place.c.level == "city")).first()
    return City(row.code, row.name, row.name_en or row.name) if row else DEFAULT_CITY
