"""Loading: one transaction or nothing, supersession, approval, lineage to the cell, indicators kept in step."""
from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.pool import QueuePool

from conftest import refuse_inserts, table_counts
from etl.store import queries
from etl.store.db import WRITE_CACHE_KIB, make_engine, submission, write_transaction
from etl.store.setup import init_db
from etl.compute.indicators import compute
from etl.ingest import ingest_path
from etl.store.load import set_status
from etl.store.recompute import expected_counties, recompute
from returns import leader_sheet, SheetSpec, communities, simple_return, standard_rows, write_workbook


def test_a_failure_inside_the_transaction_leaves_the_database_as_it_was(engine, tmp_path):
    assert ingest_path(engine, simple_return(tmp_path / "a.xlsx")).status == "loaded"
    before = table_counts(engine)
    versions = queries.indicator_values(engine)
    refuse_inserts(engine, "leader_link")      # the database itself refuses the leader links, after the rows went in
    c = communities()[0]
    path = write_workbook(tmp_path / "b.xlsx", SheetSpec(rows=standard_rows(area=999)),
                          leader_sheet([["王伟", "厅级", "市委常委", c.code, c.name]]))
    with pytest.raises(Exception, match="refused"):
        ingest_path(engine, path)
    assert table_counts(engine) == before
    pd.testing.assert_frame_equal(queries.indicator_values(engine), versions)
    assert [s for (s,) in engine.connect().execute(select(submission.c.status))] == ["submitted"]


def test_every_value_traces_back_to_its_cell(engine, tmp_path):
    path = simple_return(tmp_path / "r.xlsx", rows=standard_rows(area=777))
    outcome = ingest_path(engine, path)
    rows = queries.community_history(engine, communities()[1].code)
    row = rows.iloc[0]
    assert (row["submission_id"], row["file_name"], row["sheet"], row["source_row"]) == (
        outcome.load.submission_id, "r.xlsx", "社区基本情况", 5)
    sheet = openpyxl.load_workbook(path)[row["sheet"]]
    assert sheet.cell(int(row["source_row"]), 6).value == row["service_area_m2"] == 777
    stored = queries.submissions(engine, with_content=True).iloc[0]
    assert stored["content"] == path.read_bytes() and len(stored["sha256"]) == 64


def test_approval_basis_and_supersession(engine, tmp_path):
    first = ingest_path(engine, simple_return(tmp_path / "a.xlsx", rows=standard_rows(area=400)))
    set_status(engine, first.load.submission_id, "approved")
    second = ingest_path(engine, simple_return(tmp_path / "b.xlsx", rows=standard_rows(area=900)))
    mean = lambda basis: queries.indicator_values(engine, basis, "2015", "county", "area_mean_m2")["value"].tolist()
    assert mean("current") == [900] and mean("approved") == [400]     # approved figures hold until approval
    set_status(engine, second.load.submission_id, "approved")
    assert mean("approved") == [900]
    statuses = queries.submissions(engine).set_index("id")["status"].to_dict()
    assert statuses == {second.load.submission_id: "approved", first.load.submission_id: "superseded"}


def test_a_returned_submission_stops_counting(engine, tmp_path):
    outcome = ingest_path(engine, simple_return(tmp_path / "a.xlsx"))
    set_status(engine, outcome.load.submission_id, "returned", "请补充经费数据")
    assert queries.indicator_values(engine, "current").empty
    assert queries.submissions(engine).iloc[0]["comment"] == "请补充经费数据"


def test_stored_indicators_equal_a_recomputation_from_the_final_submissions(sample_engine):
    stored = queries.indicator_values(sample_engine)
    stored = stored[stored["level"] != "community"]            # a community's own values are not stored
    with sample_engine.connect() as conn:
        fresh = compute(queries.community_rows(conn), queries.link_rows(conn), expected_counties(conn))
    merged = stored.merge(fresh, on=["period", "level", "area_code", "indicator"], suffixes=("_stored", "_fresh"))
    assert len(merged) == len(stored) == len(fresh)
    pd.testing.assert_series_equal(merged["value_stored"], merged["value_fresh"], check_names=False)


def test_recompute_is_idempotent(engine, tmp_path):
    ingest_path(engine, simple_return(tmp_path / "a.xlsx"))
    before = queries.indicator_values(engine)
    with engine.begin() as conn:
        recompute(conn)
    pd.testing.assert_frame_equal(queries.indicator_values(engine), before)


def test_a_load_gives_its_connection_back_with_sqlites_default_page_cache(tmp_path):
    """Loads write with a large page cache (etl/store/db.py); a server's pooled connections must not keep it."""
    engine = make_engine(f"sqlite:///{tmp_path / 'cache.db'}")
    init_db(engine)
    engine.pool = QueuePool(engine.pool._creator, pool_size=1, max_overflow=0)   # one connection, reused
    with engine.connect() as conn:
        default = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    with write_transaction(engine) as conn:
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == -WRITE_CACHE_KIB
    assert ingest_path(engine, simple_return(tmp_path / "a.xlsx")).status == "loaded"
    refuse_inserts(engine, "leader_link")
    c = communities()[0]
    with pytest.raises(Exception, match="refused"):       # and after a load that failed
        ingest_path(engine, write_workbook(tmp_path / "b.xlsx", SheetSpec(rows=standard_rows(area=888)),
                                           leader_sheet([["王伟", "厅级", "市委常委", c.code, c.name]])))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == default
    engine.dispose()
