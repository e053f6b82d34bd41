"""The xlsx export as a reader sees it: sheets, headers with units, frozen headers, number formats, the numbers of
shequ's indicators at every level, neutralised text and the scorecard's traffic lights."""
from __future__ import annotations

import shutil

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import update

from etl import queries
from etl.config import UNITS, indicators
from etl.db import init_db, make_engine, place
from etl.export import LEVEL_SHEETS, write_xlsx
from etl.ingest import ingest_path

NUMBER_FORMATS = {"count": "#,##0", "people": "#,##0", "person_times": "#,##0", "pct": "0.0"}   # else #,##0.0
HOSTILE = "=HYPERLINK(\"http://x\",\"y\")"


@pytest.fixture
def sample_copy(sample_db_url, tmp_path):
    target = tmp_path / "copy.db"
    shutil.copy(sample_db_url.removeprefix("sqlite:///"), target)
    engine = make_engine(f"sqlite:///{target}")
    yield engine
    engine.dispose()


def _sheet_values(ws, table) -> dict:
    """(period label, area code, indicator) → the cell's value, from a level sheet."""
    heads = [c.value for c in ws[1]]
    cols = {i.id: heads.index(f"{i.name_zh}（{UNITS[i.unit][0]}）") for i in table}
    return {(row[0], row[1], ind): row[j] for row in ws.iter_rows(min_row=2, values_only=True) for ind, j in cols.items()}


def _assert_same_numbers(engine, book, period: str, label: str) -> None:
    expected = queries.indicator_values(engine, "current", period=period)
    for level, sheet in LEVEL_SHEETS.items():
        table = [i for i in indicators() if level in i.levels]
        got = _sheet_values(book[sheet], table)
        want = expected[expected["level"] == level]
        assert len(want) and len(got) == len(want), level
        for row in want.itertuples():
            value = got[(label, row.area_code, row.indicator)]
            assert (value is None and pd.isna(row.value)) or value == pytest.approx(row.value), (level, row)


def test_every_level_holds_the_numbers_of_shequ_indicators_on_each_database(engine, sample_paths, tmp_path):
    for path in sample_paths:
        assert ingest_path(engine, path).status == "loaded"
    n = write_xlsx(engine, tmp_path / "e.xlsx", periods=["2015"])
    book = openpyxl.load_workbook(tmp_path / "e.xlsx")
    assert book.sheetnames == ["全市", "县（市、区）", "社区", "考核评分", "指标说明"]
    _assert_same_numbers(engine, book, "2015", "2015年")
    assert n == len(queries.indicator_values(engine, "current", period="2015"))


def test_the_workbook_is_formatted(sample_copy, tmp_path):
    write_xlsx(sample_copy, tmp_path / "e.xlsx")
    book = openpyxl.load_workbook(tmp_path / "e.xlsx")
    for level, name in LEVEL_SHEETS.items():
        ws = book[name]
        table = [i for i in indicators() if level in i.levels]
        assert [c.value for c in ws[1]] == ["报告期", "区划代码", "名称"] + [
            f"{i.name_zh}（{UNITS[i.unit][0]}）" for i in table]
        assert ws.freeze_panes == "D2" and ws.auto_filter.ref and ws["A1"].font.b
        for j, ind in enumerate(table, start=4):
            cells = [row[0] for row in ws.iter_rows(min_row=2, min_col=j, max_col=j) if row[0].value is not None]
            assert cells, (level, ind.id)
            assert {c.number_format for c in cells} == {NUMBER_FORMATS.get(ind.unit, "#,##0.0")}, (level, ind.id)
            assert all(isinstance(c.value, (int, float)) for c in cells)
        periods = [r[0] for r in ws.iter_rows(min_row=2, max_col=1, values_only=True)]
        assert periods == sorted(periods) and set(periods) == {"2013年", "2014年", "2015年"}
    codes = [r[1] for r in book["社区"].iter_rows(min_row=2, max_col=2, values_only=True)]
    assert codes[:184] == sorted(codes[:184])                  # within a period, by area code
    definitions = book["指标说明"]
    assert definitions.freeze_panes == "A2" and definitions.max_row == len(indicators()) + 1
    assert {r[7] for r in definitions.iter_rows(min_row=2, values_only=True)} == {"各县（市、区）社区规范化建设情况报表"}


def test_the_scorecard_has_traffic_lights_with_marks(sample_copy, tmp_path):
    write_xlsx(sample_copy, tmp_path / "e.xlsx", periods=["2015"])
    ws = openpyxl.load_workbook(tmp_path / "e.xlsx")["考核评分"]
    assert ws.freeze_panes == "C2" and ws["A1"].value == "报告期"
    fills = {}
    for row in ws.iter_rows(min_row=2, min_col=5):
        for c in row:
            if isinstance(c.value, (int, float)):
                fills.setdefault(c.fill.fgColor.rgb, set()).add(c.number_format)
    assert set(fills) <= {"FFC6EFCE", "FFFFEB9C", "FFFFC7CE"} and "FFC6EFCE" in fills
    assert fills["FFC6EFCE"] == {'"✓ "0.0'}
    assert ws.cell(ws.max_row, 1).value.startswith("交通灯")


@pytest.mark.parametrize("level, sheet, column", [("community", "社区", 2), ("county", "县（市、区）", 2),
                                                  ("county", "考核评分", 1)])
def test_text_that_could_be_a_formula_is_written_as_quoted_text(sample_copy, tmp_path, level, sheet, column):
    code = queries.places(sample_copy, level)["code"].iloc[0]
    with sample_copy.begin() as conn:
        conn.execute(update(place).where(place.c.code == code).values(name=HOSTILE))
    write_xlsx(sample_copy, tmp_path / "e.xlsx", periods=["2015"])
    ws = openpyxl.load_workbook(tmp_path / "e.xlsx")[sheet]
    names = [row[column] for row in ws.iter_rows(min_row=2, max_col=3) if row[0].value == "2015年"]
    hostile = [c for c in names if c.value == HOSTILE]
    assert len(hostile) == 1 and hostile[0].data_type == "s" and hostile[0].quotePrefix
    assert not any(c.quotePrefix for c in names if c.value != HOSTILE)


def test_an_empty_database_gives_the_headers_only(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    init_db(engine)
    assert write_xlsx(engine, tmp_path / "e.xlsx") == 0
    book = openpyxl.load_workbook(tmp_path / "e.xlsx")
    assert book["社区"].max_row == 1 and book["社区"]["A1"].value == "报告期"


def test_rows_past_excels_limit_continue_on_a_second_sheet(sample_copy, tmp_path, monkeypatch):
    # A nation's communities over twelve periods pass Excel's 1,048,576 rows; xlsxwriter would drop the rest
    # without a word. Here the limit is made small: the sample's 552 community rows over sheets of 200.
    from etl import export
    monkeypatch.setattr(export, "EXCEL_MAX_ROWS", 201)
    path = tmp_path / "split.xlsx"
    write_xlsx(sample_copy, path, levels=["community"])
    book = openpyxl.load_workbook(path, read_only=True)
    first = LEVEL_SHEETS["community"]
    parts = [name for name in book.sheetnames if name.startswith(first)]
    assert parts == [first, f"{first}（2）", f"{first}（3）"]
    rows = [row for name in parts for row in list(book[name].iter_rows(values_only=True))[1:]]
    assert [book[name].max_row for name in parts] == [201, 201, 153]
    expected = queries.indicator_values(sample_copy, level="community")
    assert len(rows) == 552 == expected["area_code"].nunique() * expected["period"].nunique()
    assert len({(r[0], r[1]) for r in rows}) == 552          # every community and period once
