"""Backup and restore: a portable dump of shequ's tables (any database to any database), and SQLite's online copy.

The portable dump is a gzip'd JSON-lines file: a header line (format, schema revision, table row counts), then
one line per row as {"table": …, "row": {…}} with bytes in base64 and times in ISO 8601. Restoring replaces
every shequ table's contents in one transaction, so a failed restore leaves the database as it was.
"""
from __future__ import annotations

import base64
import gzip
import json
import sqlite3
from datetime import datetime
from pathlib import Path

from sqlalchemy import DateTime, LargeBinary, delete, func, insert, select, text
from sqlalchemy.engine import Engine

from etl.read.problems import ShequError
from etl.store.db import metadata
from etl.store.migrate import current, upgrade

FORMAT = "shequ-dump/1"
BATCH = 2000


def _encode(value, column):
    if value is None:
        return None
    if isinstance(column.type, LargeBinary):
        return base64.b64encode(value).decode("ascii")
    if isinstance(column.type, DateTime):
        return value.isoformat()
    return value


def _decode(value, column):
    if value is None:
        return None
    if isinstance(column.type, LargeBinary):
        return base64.b64decode(value)
    if isinstance(column.type, DateTime):
        return datetime.fromisoformat(value)
    return value


def dump(engine: Engine, path: str | Path) -> dict[str, int]:
    """Write every shequ table to a portable dump; returns the row count per table.

    All tables are read in one transaction that sees one moment (REPEATABLE READ on PostgreSQL; SQLite's read
    transaction in WAL mode): a dump taken while a return loads or an approval commits restores as it was then,
    never with half of it.
    """
    tables = metadata.sorted_tables
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        counts = {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}
        with gzip.open(path, "wt", encoding="utf-8") as out:
            out.write(json.dumps({"format": FORMAT, "revision": current(engine), "tables": counts}) + "\n")
            for table in tables:
                order = list(table.primary_key.columns)
                for row in conn.execute(select(table).order_by(*order)).mappings():
                    encoded = {c.name: _encode(row[c.name], c) for c in table.columns}
                    out.write(json.dumps({"table": table.name, "row": encoded}, ensure_ascii=False) + "\n")
    return counts


def restore(engine: Engine, path: str | Path) -> dict[str, int]:
    """Replace the database's shequ data with a dump's, in one transaction; returns the rows restored per table."""
    upgrade(engine)
    with gzip.open(path, "rt", encoding="utf-8") as source:
        try:
            header = json.loads(source.readline())
        except (json.JSONDecodeError, OSError, EOFError) as exc:
            raise ShequError(f"{path} is not a shequ dump ({exc})") from None
        if header.get("format") != FORMAT:
            raise ShequError(f"{path} is not a shequ dump (format {header.get('format')!r})")
        if header.get("revision") != current(engine):
            raise ShequError(f"the dump is of schema {header.get('revision')}, the database of {current(engine)}: "
                             "restore into a database of the same version")
        by_name = {t.name: t for t in metadata.sorted_tables}
        restored = dict.fromkeys(by_name, 0)
        with engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(delete(table))
            batch: list[dict] = []
            batch_table = None
            for line in source:
                item = json.loads(line)
                table = by_name[item["table"]]
                if batch and table is not batch_table:
                    conn.execute(insert(batch_table), batch)
                    batch = []
                batch_table = table
                batch.append({c.name: _decode(item["row"].get(c.name), c) for c in table.columns})
                restored[table.name] += 1
                if len(batch) >= BATCH:
                    conn.execute(insert(table), batch)
                    batch = []
            if batch:
                conn.execute(insert(batch_table), batch)
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn)
    if restored != header["tables"]:
        raise ShequError(f"the dump is incomplete: expected {header['tables']}, read {restored}")
    return restored


def _reset_sequences(conn) -> None:
    """After inserting explicit ids, PostgreSQL's sequences must continue after the largest one."""
    for table in metadata.sorted_tables:
        for column in table.primary_key.columns:
            if column.autoincrement is True or (column.autoincrement == "auto" and len(table.primary_key.columns) == 1
                                                and column.type.python_type is int):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                                  f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"))


def sqlite_copy(engine: Engine, path: str | Path) -> None:
    """SQLite's online backup: a consistent copy of the live database file, taken while others read and write."""
    if engine.dialect.name != "sqlite":
        raise ShequError("a .db copy is for SQLite databases; use a .jsonl.gz dump for PostgreSQL")
    raw = engine.raw_connection()
    try:
        target = sqlite3.connect(str(path))
        with target:
            raw.driver_connection.backup(target)
        target.close()
    finally:
        raw.close()


def sqlite_restore(engine: Engine, path: str | Path) -> None:
    """Replace the live SQLite database with a copy made by sqlite_copy (SQLite's backup API, all or nothing)."""
    if engine.dialect.name != "sqlite":
        raise ShequError("a .db copy restores into an SQLite database; use a .jsonl.gz dump for PostgreSQL")
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if source.execute("SELECT count(*) FROM sqlite_master WHERE name = 'submission'").fetchone()[0] != 1:
            raise ShequError(f"{path} is not a shequ database")
        raw = engine.raw_connection()
        try:
            source.backup(raw.driver_connection)
        finally:
            raw.close()
    except sqlite3.DatabaseError as exc:
        raise ShequError(f"{path} is not an SQLite database ({exc})") from None
    finally:
        source.close()
    engine.dispose()
