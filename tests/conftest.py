"""Shared fixtures: real databases (SQLite files; PostgreSQL where available) and the loaded sample data."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "sample_data"
sys.path.insert(0, str(Path(__file__).resolve().parent))   # tests/returns.py, the workbook builder

from etl.store.db import community_return, indicator_value, leader_link, make_engine, submission  # noqa: E402
from etl.store.setup import init_db  # noqa: E402


import pg  # noqa: E402


@pytest.fixture(scope="session")
def postgres_server_url():
    """One PostgreSQL cluster per test session (SHEQU_TEST_POSTGRES_URL, or Debian's server started here)."""
    with pg.cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """An empty database of each kind the project supports: every database test runs on both."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shequ.db'}"
    url = request.getfixturevalue("postgres_server_url")
    reset = make_engine(url)
    with reset.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    reset.dispose()
    return url


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    init_db(engine)
    yield engine
    engine.dispose()


def table_counts(engine) -> dict[str, int]:
    """Row counts of the data tables: equal before and after means nothing was loaded."""
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (submission, community_return, leader_link, indicator_value)}


def refuse_inserts(engine, table: str) -> None:
    """Make the database itself refuse every row inserted into `table` ('refused'): a failure inside a load."""
    statements = {
        "sqlite": [f"CREATE TRIGGER refuse BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'refused'); END"],
        "postgresql": ["CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$ "
                       "LANGUAGE plpgsql",
                       f"CREATE TRIGGER refuse BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION refuse()"],
    }
    with engine.begin() as conn:
        for statement in statements[engine.dialect.name]:
            conn.exec_driver_sql(statement)


@pytest.fixture(scope="session")
def sample_paths() -> list[Path]:
    paths = sorted(SAMPLE_DIR.glob("*.xlsx"))
    assert len(paths) == 21, "sample_data/ must hold the 21 sample returns (shequ sample)"
    return paths


def copied(sqlite_url: str, target: Path) -> str:
    """A copy of a session's SQLite database (the loaded sample) that a test may change; its URL."""
    import shutil
    shutil.copy(sqlite_url.removeprefix("sqlite:///"), target)
    return f"sqlite:///{target}"


@pytest.fixture(scope="session")
def sample_db_url(tmp_path_factory, sample_paths) -> str:
    """A database with the committed sample returns loaded through the real ingest pipeline (once per run)."""
    from etl.ingest import ingest_path
    url = f"sqlite:///{tmp_path_factory.mktemp('sample') / 'sample.db'}"
    engine = make_engine(url)
    init_db(engine)
    for path in sample_paths:
        outcome = ingest_path(engine, path)
        assert outcome.status == "loaded", (path.name, [p.to_dict() for p in outcome.report.errors])
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def sample_engine(sample_db_url):
    engine = make_engine(sample_db_url)
    yield engine
    engine.dispose()
