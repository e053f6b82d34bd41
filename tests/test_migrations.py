"""Schema migrations: an older database is upgraded in place with its data, and the models match the migrations."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import inspect

from etl import migrate, queries
from etl.cli import cli
from datetime import datetime, timezone

from etl.db import community_return, make_engine, metadata, place, registry_rows, submission
from etl.ingest import parse_content
from etl.registry import default_registry
from returns import simple_return


def test_init_upgrades_a_database_of_the_first_release_with_its_data(db_url, tmp_path):
    engine = make_engine(db_url)
    registry = default_registry()
    path = simple_return(tmp_path / "r.xlsx")
    parsed, _ = parse_content(path.read_bytes(), path.name, registry)
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:                  # a database as the first release made it, with a return in it
        command.upgrade(migrate._config(conn), migrate.FIRST_RELEASE)
        conn.execute(place.insert(), registry_rows(registry))
        conn.execute(submission.insert().values(
            id=1, county_code="450981", period="2015", file_name="r.xlsx", sha256="0" * 64, content=b"x",
            uploaded_by="cli", uploaded_at=now, status="submitted", status_changed_at=now, warnings="[]",
            n_communities=3, n_links=0))
        rows = parsed.communities.astype(object).where(parsed.communities.notna(), None)
        conn.execute(community_return.insert(), [{**r, "submission_id": 1} for r in rows.to_dict("records")])
    assert migrate.current(engine) == "0001"
    assert "ix_community_return_community" not in {i["name"] for i in inspect(engine).get_indexes("community_return")}

    result = CliRunner().invoke(cli, ["--db", db_url, "init"])
    assert result.exit_code == 0, result.output
    assert migrate.current(engine) == migrate.head() == "0005"
    assert "ix_community_return_community" in {i["name"] for i in inspect(engine).get_indexes("community_return")}
    assert queries.submissions(engine)["file_name"].tolist() == ["r.xlsx"]
    values = queries.indicator_values(engine, period="2015", level="county").set_index("indicator")["value"]
    assert values["communities"] == 3 and values["area_mean_m2"] == 600   # terms backfilled, indicators computed


def test_the_models_are_what_the_migrations_build(db_url):
    engine = make_engine(db_url)
    migrate.upgrade(engine)                        # a new database: created from the models and stamped
    with engine.begin() as conn:
        command.downgrade(migrate._config(conn), "base")
        command.upgrade(migrate._config(conn), "head")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []
