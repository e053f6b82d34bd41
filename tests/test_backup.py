"""Backup and restore round trips on both databases, and across them."""
from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import table_counts
from etl.store import queries
from etl.cli import cli
from etl.store.db import make_engine
from etl.store.setup import init_db
from etl.ingest import ingest_path
from returns import simple_return, standard_rows


def snapshot(engine):
    subs = queries.submissions(engine, with_content=True).drop(columns=["uploaded_at", "status_changed_at"])
    return table_counts(engine), subs, queries.indicator_values(engine)


def assert_same(a, b):
    assert a[0] == b[0]
    pd.testing.assert_frame_equal(a[1], b[1])
    pd.testing.assert_frame_equal(a[2], b[2])


@pytest.fixture
def filled(engine, tmp_path):
    ingest_path(engine, simple_return(tmp_path / "a.xlsx", rows=standard_rows(area=400)))
    ingest_path(engine, simple_return(tmp_path / "b.xlsx", rows=standard_rows(area=900)))
    return engine


def test_portable_dump_round_trip(filled, db_url, tmp_path):
    before = snapshot(filled)
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", db_url, "backup", str(tmp_path / "b.jsonl.gz")]).exit_code == 0
    ingest_path(filled, simple_return(tmp_path / "c.xlsx", rows=standard_rows(area=50)))   # changes after backup
    result = runner.invoke(cli, ["--db", db_url, "restore", "--yes", str(tmp_path / "b.jsonl.gz")])
    assert result.exit_code == 0, result.output
    assert_same(snapshot(filled), before)
    # ids continue after the restored ones (PostgreSQL sequences reset)
    again = ingest_path(filled, simple_return(tmp_path / "d.xlsx", rows=standard_rows(area=60)))
    assert again.load.submission_id == 3


def test_a_dump_moves_between_database_kinds(filled, tmp_path):
    path = tmp_path / "b.jsonl.gz"
    from etl.store.backup import dump, restore
    dump(filled, path)
    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    init_db(other)
    restore(other, path)
    assert_same(snapshot(other), snapshot(filled))


def test_sqlite_online_copy_round_trip(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    engine = make_engine(url)
    init_db(engine)
    ingest_path(engine, simple_return(tmp_path / "a.xlsx"))
    before = snapshot(engine)
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", url, "backup", str(tmp_path / "copy.db")]).exit_code == 0
    ingest_path(engine, simple_return(tmp_path / "b.xlsx", rows=standard_rows(area=999)))
    assert runner.invoke(cli, ["--db", url, "restore", "--yes", str(tmp_path / "copy.db")]).exit_code == 0
    assert_same(snapshot(make_engine(url)), before)


def test_a_bad_backup_is_refused_and_changes_nothing(filled, db_url, tmp_path):
    before = snapshot(filled)
    bad = tmp_path / "bad.jsonl.gz"
    bad.write_bytes(b"not a dump")
    result = CliRunner().invoke(cli, ["--db", db_url, "restore", "--yes", str(bad)])
    assert result.exit_code == 1 and "not a shequ dump" in result.output
    assert_same(snapshot(filled), before)


def test_a_dump_taken_while_returns_load_is_one_moment(engine, tmp_path):
    """Loads commit while dumps run: each dump's rows are exactly its header's counts, as at one moment."""
    import gzip
    import json
    import threading

    from etl.store.backup import dump
    files = [simple_return(tmp_path / f"r{i}.xlsx", rows=standard_rows(area=300 + i)) for i in range(12)]
    stop = threading.Event()

    def load_all():
        for path in files:
            if stop.is_set():
                return
            ingest_path(engine, path)

    loader = threading.Thread(target=load_all)
    loader.start()
    try:
        n = 0
        while loader.is_alive() or n < 3:          # dump after dump for as long as the loads go on
            n += 1
            path = tmp_path / "d.jsonl.gz"
            header_counts = dump(engine, path)
            rows: dict[str, int] = {}
            with gzip.open(path, "rt", encoding="utf-8") as lines:
                next(lines)
                for line in lines:
                    table = json.loads(line)["table"]
                    rows[table] = rows.get(table, 0) + 1
            assert {t: c for t, c in header_counts.items() if c} == rows
    finally:
        stop.set()
        loader.join(120)
