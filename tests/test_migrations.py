"""Schema migrations: an older database is upgraded in place with its data, and the models match the migrations."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import inspect

from etl import migrate, queries
from etl.cli import cli
from etl.db import make_engine, metadata, place, registry_rows
from etl.ingest import ingest_path
from returns import simple_return


def test_init_upgrades_a_database_of_the_first_release_with_its_data(db_url, tmp_path):
    engine = make_engine(db_url)
    with engine.begin() as conn:                  # a database as the first release made it
        command.upgrade(migrate._config(conn), migrate.FIRST_RELEASE)
        conn.execute(place.insert(), registry_rows(__import__("etl.registry").registry.default_registry()))
    assert migrate.current(engine) == "0001"
    assert "ix_community_return_community" not in {i["name"] for i in inspect(engine).get_indexes("community_return")}
    assert ingest_path(engine, simple_return(tmp_path / "r.xlsx")).status == "loaded"
    before = queries.indicator_values(engine)

    result = CliRunner().invoke(cli, ["--db", db_url, "init"])
    assert result.exit_code == 0, result.output
    assert migrate.current(engine) == migrate.head() == "0002"
    assert "ix_community_return_community" in {i["name"] for i in inspect(engine).get_indexes("community_return")}
    assert queries.indicator_values(engine).equals(before)
    assert queries.submissions(engine)["file_name"].tolist() == ["r.xlsx"]


def test_the_models_are_what_the_migrations_build(db_url):
    engine = make_engine(db_url)
    migrate.upgrade(engine)                        # a new database: created from the models and stamped
    with engine.begin() as conn:
        command.downgrade(migrate._config(conn), "base")
        command.upgrade(migrate._config(conn), "head")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []
