"""A return's community rows are validated and stored part by part while the reader goes on with the rest.

The parts must add up to what a single pass finds — the same rows, the same problems in the same order — and a
return rejected after some parts went in must leave the database as it was.
"""
from __future__ import annotations

import multiprocessing

import pandas as pd
import pytest

from sqlalchemy import select

from conftest import refuse_inserts, table_counts
from etl import queries
from etl.db import leader_link, submission
from etl.ingest import ingest_path, parse_content, parse_sheets
from etl.load import ParsedReturn, ReturnPart, load_streamed
from etl.recompute import recompute
from etl.registry import default_registry
from etl.workbook import read_sheets
from returns import SheetSpec, communities, leader_sheet, simple_return, standard_rows, write_workbook


def _parse(path, part_rows):
    parts = []
    parsed, report = parse_sheets(read_sheets(path.read_bytes()), path.name, default_registry(),
                                  on_part=parts.append, part_rows=part_rows)
    return parsed, report, parts


def test_parts_add_up_to_the_single_pass(tmp_path):
    path = simple_return(tmp_path / "r.xlsx", rows=standard_rows(n=7))
    whole, whole_report, whole_parts = _parse(path, part_rows=10_000)
    parsed, report, parts = _parse(path, part_rows=5)
    assert [len(p.communities) for p in parts] == [1, 5, 1]        # the first part a fifth of the others
    assert len(whole_parts) == 1
    assert {(p.county_code, p.period) for p in parts} == {("450981", "2015")}
    pd.testing.assert_frame_equal(pd.concat([p.communities for p in parts], ignore_index=True), whole.communities)
    pd.testing.assert_frame_equal(parsed.communities, whole.communities)
    pd.testing.assert_frame_equal(parsed.terms, whole.terms)
    assert report.flat() == whole_report.flat()


def test_a_duplicate_in_a_later_part_and_the_problems_in_sheet_order(tmp_path):
    rows = standard_rows(n=5)
    rows[1][5] = "很大"                     # a bad area in the second part (Excel row 5; parts of 1, 2, 2, 1 rows)
    rows.append(list(rows[0]))            # the first community again, in the fourth part (Excel row 9)
    rows[4][7] = "也许"                     # a bad yes/no in the third part (Excel row 8)
    path = simple_return(tmp_path / "r.xlsx", rows=rows)
    _, whole_report, _ = _parse(path, part_rows=10_000)
    parsed, report, parts = _parse(path, part_rows=2)
    assert parsed is None
    assert len(parts) == 1                # the second part has an error: nothing after it is handed over
    assert report.flat() == whole_report.flat()
    codes = [(row, code) for row, _, code in report.flat() if code != "no-leader-sheet"]
    assert codes == [(5, "wrong-type"), (8, "wrong-type"), (9, "duplicate-community")]


def test_valid_parts_are_handed_over_until_a_part_has_an_error(tmp_path):
    rows = standard_rows(n=5)
    rows[4][5] = "很大"                     # Excel row 8: the third part of two rows
    path = simple_return(tmp_path / "r.xlsx", rows=rows)
    parsed, report, parts = _parse(path, part_rows=2)
    assert parsed is None and [len(p.communities) for p in parts] == [1, 2]
    assert (8, "F", "wrong-type") in report.flat()


def _with_links(tmp_path, n=7, links=None):
    cs = communities(n=n)
    links = links or [["王伟", "厅级", "市委常委", cs[0].code, cs[0].name], ["李强", "县级", "副市长", cs[5].code, cs[5].name],
                      ["李强", "县级", "副市长", cs[6].code, cs[6].name]]
    return write_workbook(tmp_path / "r.xlsx", SheetSpec(rows=standard_rows(n=n)), leader_sheet(links))


def test_the_links_are_handed_over_last_once_the_return_is_valid(tmp_path):
    path = _with_links(tmp_path)
    whole, whole_report, _ = _parse(path, part_rows=10_000)
    parsed, report, parts = _parse(path, part_rows=5)
    assert [(p.communities is None, p.links is None) for p in parts] == [(False, True)] * 3 + [(True, False)]
    pd.testing.assert_frame_equal(parts[-1].links, whole.links)
    assert list(parts[-1].links["source_row"]) == [3, 4, 5]
    pd.testing.assert_frame_equal(parsed.terms, whole.terms)
    assert report.flat() == whole_report.flat()


def test_links_with_a_problem_are_not_handed_over(tmp_path):
    cs = communities(n=7)
    path = _with_links(tmp_path, links=[["王伟", "厅级", "市委常委", cs[0].code, cs[0].name],
                                        ["李强", "厅级", "副市长", "", "没有这个社区"]])
    parsed, report, parts = _parse(path, part_rows=5)
    assert parsed is None and all(p.links is None for p in parts)
    assert report.flat() == [(4, "E", "leader-unknown-community")]
    assert len(parts) == 3                # every community part was valid


def test_a_return_handed_over_in_parts_is_stored_once(engine, tmp_path):
    outcome = ingest_path(engine, _with_links(tmp_path))
    assert outcome.status == "loaded" and outcome.counts["links"] == 3 and outcome.counts["communities"] == 7
    counts = table_counts(engine)
    assert counts["leader_link"] == 3 and counts["community_return"] == 7


@pytest.mark.parametrize("layout", ["leaders-second", "leaders-first", "title-names-another-county", "no-title"])
def test_the_leader_sheet_prepared_while_the_sheets_are_read_gives_a_single_pass(tmp_path, layout):
    """parse_content matches the links while the community sheet is still being read, for the county the leader
    sheet names (its title, else most of its codes): the same links and problems as one pass after reading."""
    cs = communities(n=7)
    links = [["王伟", "厅级", "市委常委", cs[0].code, cs[0].name], ["王伟", "厅级", "市委常委", cs[0].code, cs[0].name],
             ["李强", "县级", "副市长", "", cs[6].name], ["张敏", "县级", "局长", cs[1].code, "别的名字"],
             ["赵刚", "县级", "主任", "450902001001", ""]]
    leaders = leader_sheet(links, county_label="玉州区" if layout == "title-names-another-county" else "北流市")
    if layout == "no-title":
        leaders = SheetSpec(name=leaders.name, headers=leaders.headers, rows=links)
    rows = SheetSpec(rows=standard_rows(n=6))
    path = write_workbook(tmp_path / "r.xlsx", *((leaders, rows) if layout == "leaders-first" else (rows, leaders)))
    parsed, report = parse_content(path.read_bytes(), path.name, default_registry())
    whole, whole_report = parse_sheets(read_sheets(path.read_bytes()), path.name, default_registry())
    assert report.flat() == whole_report.flat()
    assert [code for _, _, code in report.flat()].count("leader-community-not-reported") == 1      # cs[6]
    assert (parsed is None) == (whole is None)
    if parsed is not None:
        pd.testing.assert_frame_equal(parsed.links, whole.links)


def test_the_leader_links_are_handed_over_before_the_community_rows_when_the_sheet_names_the_county(tmp_path):
    """parse_content hands the links over as soon as the leader sheet is read, for the county and period it
    names; they are not handed over again when the return turns out to be of that county and period."""
    path = _with_links(tmp_path)
    parts = []
    parsed, report = parse_content(path.read_bytes(), path.name, default_registry(), early=parts.append)
    whole, whole_report = parse_sheets(read_sheets(path.read_bytes()), path.name, default_registry())
    assert parts[0].communities is None and (parts[0].county_code, parts[0].period) == ("450981", "2015")
    pd.testing.assert_frame_equal(parts[0].links, whole.links)
    assert all(p.links is None for p in parts[1:]) and sum(len(p.communities) for p in parts[1:]) == 7
    assert parsed.links is None and parsed.communities is None      # the parent has them
    assert report.flat() == whole_report.flat()


def test_links_handed_over_for_the_wrong_county_are_handed_over_again_for_the_right_one(tmp_path):
    cs = communities(n=7)
    links = [["王伟", "厅级", "市委常委", cs[0].code, cs[0].name], ["李强", "县级", "副市长", "", cs[6].name]]
    path = write_workbook(tmp_path / "r.xlsx", SheetSpec(rows=standard_rows(n=7)),
                          leader_sheet(links, county_label="玉州区"))
    parts = []
    parsed, report = parse_content(path.read_bytes(), path.name, default_registry(), early=parts.append)
    whole, _ = parse_sheets(read_sheets(path.read_bytes()), path.name, default_registry())
    assert parts[0].links is not None and parts[0].county_code == "450902"       # what the leader sheet says
    assert parts[-1].links is not None and parts[-1].county_code == "450981"     # what the return is
    pd.testing.assert_frame_equal(parts[-1].links, whole.links)
    assert len(whole.links) == 2


@pytest.mark.parametrize("county_label", ["北流市", "玉州区"])
def test_a_return_whose_links_went_in_first_loads_as_one_read_after_the_other(engine, tmp_path, county_label):
    """Through the worker: the links stored first (for the leader sheet's county, right or wrong), the same
    database as a load of the whole return at once."""
    cs = communities(n=7)
    links = [["王伟", "厅级", "市委常委", cs[0].code, cs[0].name], ["李强", "县级", "副市长", "", cs[6].name],
             ["李强", "县级", "副市长", cs[5].code, cs[5].name]]
    path = write_workbook(tmp_path / "r.xlsx", SheetSpec(rows=standard_rows(n=7)),
                          leader_sheet(links, county_label=county_label))
    outcome = ingest_path(engine, path)
    assert outcome.status == "loaded" and outcome.county_code == "450981"
    assert table_counts(engine)["leader_link"] == 3 and table_counts(engine)["submission"] == 1
    streamed = queries.indicator_values(engine)
    assert len(streamed[streamed["indicator"].str.contains("leader")].dropna(subset=["value"]))
    with engine.begin() as conn:
        recompute(conn)
    pd.testing.assert_frame_equal(queries.indicator_values(engine), streamed)


def test_later_links_replace_earlier_ones_and_a_part_of_another_county_begins_the_load_again(engine, tmp_path):
    """load_streamed, from parts as a reader hands them over: links guessed for one county, then the community
    rows of another (the load begins again), then that county's links twice (the last ones stay)."""
    path = simple_return(tmp_path / "r.xlsx")
    rows = parse_sheets(read_sheets(path.read_bytes()), path.name, default_registry())[0].communities

    def links(codes, name):
        return pd.DataFrame({"leader_name": name, "leader_level": "县级", "leader_post": "", "community_code": codes,
                             "sheet": "领导包联", "source_row": range(3, 3 + len(codes))})
    codes = [c.code for c in communities(n=2)]
    parts = [ReturnPart("450902", "2015", None, links(["450902001001"], "甲")),
             ReturnPart("450981", "2015", rows),
             ReturnPart("450981", "2015", None, links(codes, "乙")),
             ReturnPart("450981", "2015", None, links(codes[:1], "丙"))]
    parsed = ParsedReturn("450981", "2015", rows, parts[-1].links)
    result = load_streamed(engine, "450902", "2015", parts, lambda: parsed, "r.xlsx", path.read_bytes())
    assert result.status == "loaded"
    with engine.connect() as conn:
        stored = conn.execute(select(leader_link.c.leader_name, submission.c.county_code)
                              .join(submission, submission.c.id == leader_link.c.submission_id)).all()
    assert stored == [("丙", "450981")]
    assert table_counts(engine)["submission"] == 1


def test_a_return_rejected_after_its_rows_went_in_leaves_the_database_as_it_was(engine, tmp_path):
    assert ingest_path(engine, simple_return(tmp_path / "a.xlsx")).status == "loaded"
    before = table_counts(engine)
    # Valid community rows (stored while the leader sheet is checked), then a link to an unknown community.
    c = communities()[0]
    path = write_workbook(tmp_path / "b.xlsx", SheetSpec(rows=standard_rows(area=999)),
                          leader_sheet([["王伟", "厅级", "市委常委", c.code, c.name],
                                        ["李强", "厅级", "副市长", "", "没有这个社区"]]))
    outcome = ingest_path(engine, path)
    assert outcome.status == "rejected"
    assert "leader-unknown-community" in [code for _, _, code in outcome.report.flat()]
    assert table_counts(engine) == before


def test_a_load_that_fails_on_a_part_stops_the_worker(engine, tmp_path):
    before = table_counts(engine)
    refuse_inserts(engine, "community_return")
    with pytest.raises(Exception, match="refused"):
        ingest_path(engine, simple_return(tmp_path / "r.xlsx"))
    assert table_counts(engine) == before
    assert multiprocessing.active_children() == []      # not left waiting to hand over the rest
