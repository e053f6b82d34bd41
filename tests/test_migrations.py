"""Schema migrations: an older database is upgraded in place with its data, and the models match the migrations."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import inspect

from etl.store import migrate, queries
from etl.cli import cli
from datetime import datetime, timezone

import pandas as pd
from sqlalchemy import update

from etl.store.db import community_return, make_engine, metadata, place, registry_rows, submission, submission_term
from etl.compute.indicators import compute
from etl.ingest import ingest_path, parse_content
from etl.store.recompute import expected_counties, recompute
from etl.registry import default_registry
from returns import SheetSpec, communities, leader_sheet, simple_return, standard_rows, write_workbook


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
    assert migrate.current(engine) == migrate.head() == "0010"
    assert "ix_community_return_community" in {i["name"] for i in inspect(engine).get_indexes("community_return")}
    assert queries.submissions(engine)["file_name"].tolist() == ["r.xlsx"]
    values = queries.indicator_values(engine, period="2015", level="county").set_index("indicator")["value"]
    assert values["communities"] == 3 and values["area_mean_m2"] == 600   # terms backfilled, indicators computed


def test_an_upgrade_shows_a_return_without_a_leader_sheet_as_without_leader_figures(db_url, tmp_path):
    """Before 0006 a return with no leader sheet stored its weak communities as unlinked (weak_linked_pct 0 %);
    after `shequ init` the county's figure is missing, and a return with links keeps its own."""
    engine = make_engine(db_url)
    with engine.begin() as conn:
        command.upgrade(migrate._config(conn), "0005")
        conn.execute(place.insert(), registry_rows(default_registry()))
    def weak_return(period: str) -> SheetSpec:
        return SheetSpec(rows=standard_rows(weak="是"), title=[["填报单位：北流市", f"报告期：{period}年"]])

    links = leader_sheet([["王伟", "厅级", "市委常委", c.code, c.name] for c in communities()])
    without = ingest_path(engine, write_workbook(tmp_path / "2014.xlsx", weak_return("2014")))
    linked = ingest_path(engine, write_workbook(tmp_path / "2015.xlsx", weak_return("2015"), links))
    assert without.status == linked.status == "loaded"
    weak_linked = lambda: queries.indicator_values(engine, level="county", indicator="weak_linked_pct").set_index(
        "period")["value"].to_dict()
    term = submission_term.c
    with engine.begin() as conn:          # what the release before 0006 stored: 3 weak communities, none linked
        conn.execute(update(submission_term).where(term.submission_id == without.load.submission_id,
                                                   term.indicator == "weak_linked_pct").values(a=0, b=3))
        recompute(conn)
    assert weak_linked() == {"2014": 0, "2015": 100}

    result = CliRunner().invoke(cli, ["--db", db_url, "init"])
    assert result.exit_code == 0, result.output
    assert migrate.current(engine) == migrate.head()
    after = weak_linked()
    assert pd.isna(after["2014"]) and after["2015"] == 100
    with engine.connect() as conn:
        fresh = compute(queries.community_rows(conn), queries.link_rows(conn), expected_counties(conn))
    fresh = fresh[(fresh["level"] == "county") & (fresh["indicator"] == "weak_linked_pct")]
    assert pd.isna(fresh.set_index("period").loc["2014", "value"])       # what a load today would store
    engine.dispose()


def test_the_models_are_what_the_migrations_build(db_url):
    engine = make_engine(db_url)
    migrate.upgrade(engine)                        # a new database: created from the models and stamped
    with engine.begin() as conn:
        command.downgrade(migrate._config(conn), "base")
        command.upgrade(migrate._config(conn), "head")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []
