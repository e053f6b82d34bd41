"""Each reason returns.md gives for rejecting a return: the problem's row, column and code, and nothing loaded."""
from __future__ import annotations

import io
import zipfile

import pytest

from etl.ingest import ingest_path
from conftest import table_counts
from returns import HEADERS, SheetSpec, communities, simple_return, standard_rows, write_workbook

from shared import CORPUS  # noqa: E402


def rejected(engine, path, **hints):
    """Ingest through the real pipeline (worker process included); assert it was refused and nothing changed."""
    before = table_counts(engine)
    outcome = ingest_path(engine, path, **hints)
    assert outcome.status == "rejected", outcome.report.flat()
    assert table_counts(engine) == before
    assert all(p.file == path.name for p in outcome.report.problems)
    assert all(p.message_zh and p.message_en for p in outcome.report.problems)
    return outcome.report


def errors(report):
    return [(p.row, p.column, p.code) for p in report.errors]


@pytest.fixture
def loaded_first(engine, tmp_path):
    """A database that already holds a return, so 'unchanged' means more than 'empty'."""
    other = simple_return(tmp_path / "first.xlsx", rows=standard_rows("450902", 2),
                          title=[["填报单位：玉州区", "报告期：2015年"]])
    assert ingest_path(engine, other).status == "loaded"
    return engine


def test_a_text_file_renamed_xlsx(loaded_first, tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_text("县,社区\n北流市,永丰\n", encoding="utf-8")
    assert errors(rejected(loaded_first, path)) == [(None, None, "not-a-workbook")]


def test_a_pdf_renamed_xlsx(loaded_first, tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    report = rejected(loaded_first, path)
    assert errors(report) == [(None, None, "not-a-workbook")] and "PDF" in report.errors[0].message_en


def test_a_truncated_workbook(loaded_first, tmp_path):
    good = simple_return(tmp_path / "good.xlsx").read_bytes()
    path = tmp_path / "r.xlsx"
    path.write_bytes(good[: len(good) // 2])
    assert errors(rejected(loaded_first, path)) == [(None, None, "damaged-workbook")]


def test_an_encrypted_workbook(loaded_first, tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_bytes((CORPUS / "pass_protected.xlsx").read_bytes())
    assert errors(rejected(loaded_first, path)) == [(None, None, "encrypted-workbook")]


def test_a_zip_bomb(loaded_first, tmp_path):
    path = tmp_path / "r.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:   # streamed: 500 MB never held in memory
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(b"<worksheet>")
            block = b" " * 2**20
            for _ in range(500):
                part.write(block)
            part.write(b"</worksheet>")
    assert path.stat().st_size < 2 * 2**20
    assert errors(rejected(loaded_first, path)) == [(None, None, "oversize-file")]


def test_entity_expansion(loaded_first, tmp_path):
    good = simple_return(tmp_path / "good.xlsx")
    source = zipfile.ZipFile(good)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/sharedStrings.xml":
                data = data.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>', 1)
            z.writestr(info, data)
    path = tmp_path / "r.xlsx"
    path.write_bytes(buffer.getvalue())
    assert errors(rejected(loaded_first, path)) == [(None, None, "unsafe-workbook")]


def test_no_sheet_with_the_headers(loaded_first, tmp_path):
    path = write_workbook(tmp_path / "r.xlsx", SheetSpec(headers=[["姓名", "年龄", "地址"]], rows=[["a", 1, "b"]]))
    assert errors(rejected(loaded_first, path)) == [(None, None, "no-table")]


def test_a_required_column_missing(loaded_first, tmp_path):
    headers = [h for h in HEADERS if h != "服务项目数（项）"]
    rows = [r[:6] + r[7:] for r in standard_rows()]
    path = simple_return(tmp_path / "r.xlsx", rows=rows, headers=[headers])
    assert errors(rejected(loaded_first, path)) == [(3, None, "missing-column")]


def test_a_community_not_in_the_registry(loaded_first, tmp_path):
    rows = standard_rows()
    rows[1][2], rows[1][3] = None, "不存在社区"
    rows[2][2] = "450981999999"
    report = rejected(loaded_first, simple_return(tmp_path / "r.xlsx", rows=rows))
    assert errors(report) == [(5, "D", "unknown-community"), (6, "C", "unknown-community")]


def test_a_community_of_another_county(loaded_first, tmp_path):
    rows = standard_rows()
    other = communities("450902", 1)[0]
    rows[2][2], rows[2][3] = other.code, other.name
    report = rejected(loaded_first, simple_return(tmp_path / "r.xlsx", rows=rows))
    assert errors(report) == [(6, "C", "community-in-other-county")]
    assert "玉州区" in report.errors[0].message_zh
    assert "belongs to Yuzhou District" in report.errors[0].message_en      # the county in English, too


def test_a_community_named_as_in_another_county(loaded_first, tmp_path):
    rows = standard_rows()
    other = communities("450902", 1)[0]
    rows[2][2], rows[2][3] = None, other.name
    report = rejected(loaded_first, simple_return(tmp_path / "r.xlsx", rows=rows))
    assert [e.code for e in report.errors] == ["community-in-other-county"]
    assert "玉州区" in report.errors[0].message_zh and "Yuzhou District" in report.errors[0].message_en


def test_the_same_community_twice(loaded_first, tmp_path):
    rows = standard_rows()
    rows.append(list(rows[0]))
    report = rejected(loaded_first, simple_return(tmp_path / "r.xlsx", rows=rows))
    assert errors(report) == [(7, "D", "duplicate-community")]
    assert "4" in report.errors[0].message_zh


@pytest.mark.parametrize("column, value, code", [
    (5, -1, "out-of-range"), (5, 25000, "out-of-range"), (6, 60, "out-of-range"), (6, 12.5, "wrong-type"),
    (5, "很大", "wrong-type"), (7, "也许", "wrong-type"), (4, "农业社区", "not-a-choice"), (5, None, "missing-value"),
    (8, 0, "grid-count-required"), (2, "45098100100A", "wrong-type"),
])
def test_a_value_out_of_range_or_of_the_wrong_type(loaded_first, tmp_path, column, value, code):
    rows = standard_rows()
    rows[1][column] = value
    report = rejected(loaded_first, simple_return(tmp_path / "r.xlsx", rows=rows))
    assert errors(report) == [(5, "ABCDEFGHIJ"[column], code)]


def test_a_date_in_a_number_column(loaded_first, tmp_path):
    import datetime
    rows = standard_rows()
    rows[0][5] = datetime.datetime(2015, 5, 20)
    report = rejected(loaded_first, simple_return(tmp_path / "r.xlsx", rows=rows))
    assert errors(report) == [(4, "F", "wrong-type")]


def test_no_period_anywhere(loaded_first, tmp_path):
    path = simple_return(tmp_path / "return.xlsx", title=[["填报单位：北流市"]])
    assert errors(rejected(loaded_first, path)) == [(None, None, "no-period")]


def test_no_county_anywhere(loaded_first, tmp_path):
    rows = [r[1:] for r in standard_rows()]
    path = simple_return(tmp_path / "r.xlsx", rows=rows, headers=[HEADERS[1:]], title=[["报告期：2015年"]])
    assert errors(rejected(loaded_first, path)) == [(None, None, "no-county")]


def test_a_county_that_contradicts_the_form(loaded_first, tmp_path):
    path = simple_return(tmp_path / "r.xlsx")
    assert errors(rejected(loaded_first, path, county_hint="450902")) == [(None, None, "county-mismatch")]


def test_a_period_that_contradicts_the_form(loaded_first, tmp_path):
    path = simple_return(tmp_path / "r.xlsx")
    assert errors(rejected(loaded_first, path, period_hint="2014")) == [(None, None, "period-mismatch")]


def test_a_county_column_that_contradicts_the_title(loaded_first, tmp_path):
    rows = standard_rows()
    rows[2][0] = "玉州区"
    assert errors(rejected(loaded_first, simple_return(tmp_path / "r.xlsx", rows=rows))) == [(6, "A", "county-mismatch")]


def test_every_problem_is_reported_not_just_the_first(loaded_first, tmp_path):
    rows = standard_rows()
    rows[0][5], rows[1][6], rows[2][7] = "abc", 99, "?"
    report = rejected(loaded_first, simple_return(tmp_path / "r.xlsx", rows=rows))
    assert errors(report) == [(4, "F", "wrong-type"), (5, "G", "out-of-range"), (6, "H", "wrong-type")]


def test_an_oversize_file(loaded_first, tmp_path, monkeypatch):
    monkeypatch.setenv("SHEQU_CONFIG", str(tmp_path / "c.toml"))
    (tmp_path / "c.toml").write_text("[upload]\nmax_file_mb = 0.001\n", encoding="utf-8")
    assert errors(rejected(loaded_first, simple_return(tmp_path / "r.xlsx"))) == [(None, None, "oversize-file")]


def test_a_rejected_return_still_says_whose_it_is_and_speaks_each_language(engine, tmp_path):
    rows = standard_rows()
    rows[0][5] = "很大"
    outcome = ingest_path(engine, simple_return(tmp_path / "r.xlsx", rows=rows))
    assert outcome.status == "rejected" and (outcome.county_code, outcome.period) == ("450981", "2015")
    problem = outcome.report.errors[0]
    assert problem.message_zh == "“很大”不是有效的数字" and problem.message_en == "'很大' is not a valid number"
