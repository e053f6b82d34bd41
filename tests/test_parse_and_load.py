"""A return's path as one piece: parsed whole in the isolated child, then loaded in one transaction.

The problems come in the order of the sheet (every cell's, then every row's); the isolated parse finds what the
same parse in this process finds, whichever way round the sheets are; a return rejected or a load that fails
leaves the database as it was and no child process behind.
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from conftest import refuse_inserts, table_counts
from etl.store import queries
from etl.ingest import ingest_path, parse_sheets, parse_untrusted
from etl.store.recompute import recompute
from etl.registry import default_registry
from etl.read.workbook import read_sheets
from returns import SheetSpec, communities, leader_sheet, simple_return, standard_rows, write_workbook


def _parse(path: Path):
    return parse_sheets(read_sheets(path.read_bytes()), path.name, default_registry())


def _children() -> list[int]:
    """This process's child processes (any left behind by the isolated parse)."""
    pids = []
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/children") as f:
            pids += [int(p) for p in f.read().split()]
    return pids


def test_the_problems_come_in_the_order_of_the_sheet(tmp_path):
    rows = standard_rows(n=5)
    rows[1][5] = "很大"                     # a bad area (Excel row 5)
    rows.append(list(rows[0]))            # the first community again (Excel row 9)
    rows[4][7] = "也许"                     # a bad yes/no (Excel row 8)
    parsed, report = _parse(simple_return(tmp_path / "r.xlsx", rows=rows))
    assert parsed is None
    codes = [(row, code) for row, _, code in report.flat() if code != "no-leader-sheet"]
    assert codes == [(5, "wrong-type"), (8, "wrong-type"), (9, "duplicate-community")]


def _with_links(tmp_path, n=7, links=None):
    cs = communities(n=n)
    links = links or [["王伟", "厅级", "市委常委", cs[0].code, cs[0].name], ["李强", "县级", "副市长", cs[5].code, cs[5].name],
                      ["李强", "县级", "副市长", cs[6].code, cs[6].name]]
    return write_workbook(tmp_path / "r.xlsx", SheetSpec(rows=standard_rows(n=n)), leader_sheet(links))


def test_links_with_a_problem_reject_the_return(tmp_path):
    cs = communities(n=7)
    path = _with_links(tmp_path, links=[["王伟", "厅级", "市委常委", cs[0].code, cs[0].name],
                                        ["李强", "厅级", "副市长", "", "没有这个社区"]])
    parsed, report = _parse(path)
    assert parsed is None
    assert report.flat() == [(4, "E", "leader-unknown-community")]


def test_a_return_with_links_is_stored_once(engine, tmp_path):
    outcome = ingest_path(engine, _with_links(tmp_path))
    assert outcome.status == "loaded" and outcome.counts["links"] == 3 and outcome.counts["communities"] == 7
    counts = table_counts(engine)
    assert counts["leader_link"] == 3 and counts["community_return"] == 7


@pytest.mark.parametrize("layout", ["leaders-second", "leaders-first", "title-names-another-county", "no-title"])
def test_the_isolated_parse_finds_what_a_parse_here_finds(tmp_path, layout):
    cs = communities(n=7)
    links = [["王伟", "厅级", "市委常委", cs[0].code, cs[0].name], ["王伟", "厅级", "市委常委", cs[0].code, cs[0].name],
             ["李强", "县级", "副市长", "", cs[6].name], ["张敏", "县级", "局长", cs[1].code, "别的名字"],
             ["赵刚", "县级", "主任", "450902001001", ""]]
    leaders = leader_sheet(links, county_label="玉州区" if layout == "title-names-another-county" else "北流市")
    if layout == "no-title":
        leaders = SheetSpec(name=leaders.name, headers=leaders.headers, rows=links)
    rows = SheetSpec(rows=standard_rows(n=6))
    path = write_workbook(tmp_path / "r.xlsx", *((leaders, rows) if layout == "leaders-first" else (rows, leaders)))
    parsed, report = parse_untrusted(path.read_bytes(), path.name, default_registry())
    here, here_report = _parse(path)
    assert report.flat() == here_report.flat()
    assert [code for _, _, code in report.flat()].count("leader-community-not-reported") == 1      # cs[6]
    assert (parsed is None) == (here is None)
    if parsed is not None:
        pd.testing.assert_frame_equal(parsed.links, here.links)


@pytest.mark.parametrize("county_label", ["北流市", "玉州区"])
def test_a_return_with_links_loads_as_a_full_recompute_would_compute_it(engine, tmp_path, county_label):
    """The leader sheet's title names the return's county or another: the return is of the community sheet's
    county, and the indicators stored with the load are those a full recompute gives."""
    cs = communities(n=7)
    links = [["王伟", "厅级", "市委常委", cs[0].code, cs[0].name], ["李强", "县级", "副市长", "", cs[6].name],
             ["李强", "县级", "副市长", cs[5].code, cs[5].name]]
    path = write_workbook(tmp_path / "r.xlsx", SheetSpec(rows=standard_rows(n=7)),
                          leader_sheet(links, county_label=county_label))
    outcome = ingest_path(engine, path)
    assert outcome.status == "loaded" and outcome.county_code == "450981"
    assert table_counts(engine)["leader_link"] == 3 and table_counts(engine)["submission"] == 1
    loaded = queries.indicator_values(engine)
    assert len(loaded[loaded["indicator"].str.contains("leader")].dropna(subset=["value"]))
    with engine.begin() as conn:
        recompute(conn)
    pd.testing.assert_frame_equal(queries.indicator_values(engine), loaded)


def test_a_return_rejected_by_its_leader_sheet_leaves_the_database_as_it_was(engine, tmp_path):
    assert ingest_path(engine, simple_return(tmp_path / "a.xlsx")).status == "loaded"
    before = table_counts(engine)
    c = communities()[0]
    path = write_workbook(tmp_path / "b.xlsx", SheetSpec(rows=standard_rows(area=999)),
                          leader_sheet([["王伟", "厅级", "市委常委", c.code, c.name],
                                        ["李强", "厅级", "副市长", "", "没有这个社区"]]))
    outcome = ingest_path(engine, path)
    assert outcome.status == "rejected"
    assert "leader-unknown-community" in [code for _, _, code in outcome.report.flat()]
    assert table_counts(engine) == before


def test_a_load_that_fails_leaves_the_database_as_it_was_and_no_child_behind(engine, tmp_path):
    before = table_counts(engine)
    refuse_inserts(engine, "community_return")
    with pytest.raises(Exception, match="refused"):
        ingest_path(engine, simple_return(tmp_path / "r.xlsx"))
    assert table_counts(engine) == before
    assert _children() == []
