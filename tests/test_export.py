"""The export as a reader sees it, in Chinese and in English: sheets, headers with units, frozen headers, number
formats, the numbers of shequ's indicators at every level, each community's county, neutralised text, empty cells
that say 不适用 or 无数据, and a scorecard that says 达标 only where the value meets the target."""
from __future__ import annotations

import csv
import io
import re
import shutil

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import update

from etl.store import queries
from etl.cli import cli
from etl.config import UNITS, indicator_map, indicators, load_settings
from etl.store.db import make_engine, place
from etl.store.setup import init_db
from etl.files.export import LEVEL_SHEETS, file_name, write_csv, write_xlsx
from etl.compute.indicators import not_applicable
from etl.ingest import ingest_path
from etl.registry import COUNTY_NAMES_EN
from etl.compute.scorecard import STANDING_MARKS, meets, standing

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
        county = ["县（市、区）代码", "县（市、区）"] if level == "community" else []
        assert [c.value for c in ws[1]] == ["报告期", "区划代码", "名称", *county] + [
            f"{i.name_zh}（{UNITS[i.unit][0]}）" for i in table]
        assert ws.freeze_panes == "D2" and ws.auto_filter.ref and ws["A1"].font.b
        for j, ind in enumerate(table, start=4 + len(county)):
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
    from etl.files import export
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


# Issue 12: an English export in English; the county of each community; no text among numbers; 达标 only when met.

EN_SHEETS = ["City", "Counties", "Communities", "Scorecard", "Definitions"]
CJK = re.compile(r"[\u2e80-\u9fff\uff00-\uffef]")
WORDS = {"zh": {"met": "达标", "near": "接近", "low": "偏低", "behind": "未达标", "na": "不适用", "none": "无数据"},
         "en": {"met": "On target", "near": "Near target", "low": "Below target", "behind": "Far below target",
                "na": "Not applicable", "none": "No data"}}


def export_by_cli(db_url: str, path, *options) -> None:
    """`shequ --db URL export PATH [options]`, as a user runs it."""
    result = CliRunner().invoke(cli, ["--db", db_url, "export", str(path), *options], catch_exceptions=False)
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def books(sample_db_url, tmp_path_factory) -> dict:
    """The whole sample exported through the CLI: by default (Chinese) and with --lang en."""
    folder = tmp_path_factory.mktemp("exports")
    export_by_cli(sample_db_url, folder / "zh.xlsx")
    export_by_cli(sample_db_url, folder / "en.xlsx", "--lang", "en")
    return {lang: openpyxl.load_workbook(folder / f"{lang}.xlsx") for lang in ("zh", "en")}


@pytest.fixture(scope="module")
def does_not_apply(sample_engine) -> set:
    """(period, area code, indicator) of the sample whose indicator has nobody to apply to."""
    with sample_engine.connect() as conn:
        return not_applicable(queries.community_rows(conn, lineage=False), queries.link_rows(conn))


def test_an_english_export_is_in_english(books):
    book = books["en"]
    assert book.sheetnames == EN_SHEETS
    for level, name in zip(LEVEL_SHEETS, EN_SHEETS):
        ws = book[name]
        table = [i for i in indicators() if level in i.levels]
        county = ["County code", "County"] if level == "community" else []
        heads = [c.value for c in ws[1]]
        assert heads[:3 + len(county)] == ["Period", "Area code", "Name", *county]
        assert [h.split(" (")[0] for h in heads[3 + len(county):]] == [i.name_en.split(" (")[0] for i in table]
        assert not any(CJK.search(h) for h in heads), heads
        assert {r[0] for r in ws.iter_rows(min_row=2, max_col=1, values_only=True)} == {"2013", "2014", "2015"}
    assert {r[2] for r in book["City"].iter_rows(min_row=2, values_only=True)} == {"Yulin City"}
    assert {r[2] for r in book["Counties"].iter_rows(min_row=2, values_only=True)} == set(COUNTY_NAMES_EN.values())
    assert {r[4] for r in book["Communities"].iter_rows(min_row=2, values_only=True)} == set(COUNTY_NAMES_EN.values())
    scorecard = book["Scorecard"]
    assert not any(CJK.search(str(c.value)) for row in scorecard.iter_rows() for c in row if c.value is not None)
    definitions = [c.value for c in book["Definitions"][1]]
    assert definitions[:2] == ["Code", "Indicator"] and definitions[-1] == "Source"
    assert [r[1] for r in book["Definitions"].iter_rows(min_row=2, values_only=True)] == [
        i.name_en for i in indicators()]


def test_both_languages_hold_the_same_numbers(books):
    for zh, en in zip(books["zh"].sheetnames[:4], EN_SHEETS[:4]):
        numbers = [[[c for c in row if not isinstance(c, str)] for row in books[lang][sheet].iter_rows(
            min_row=2, values_only=True)] for lang, sheet in (("zh", zh), ("en", en))]
        assert numbers[0] == numbers[1] and len(numbers[0]) >= 3, zh


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_value_cell_holds_text(books, lang):
    book = books[lang]
    for name in book.sheetnames[:3]:
        first = 5 if name in ("社区", "Communities") else 3
        for row in book[name].iter_rows(min_row=2, min_col=first + 1, values_only=True):
            assert all(v is None or isinstance(v, (int, float)) for v in row), (name, row)
    scorecard = book.sheetnames[3]
    ws = book[scorecard]
    heads = [c.value for c in ws[1]]
    value_columns = [j for j, h in enumerate(heads) if h.endswith(("）", ")")) and ("权重" in h or "weight" in h)]
    assert len(value_columns) == len(load_settings().weights)
    for row in _scorecard_rows(ws):
        assert all(row[j] is None or isinstance(row[j], (int, float)) for j in [2, 3, *value_columns]), row


def _scorecard_rows(ws) -> list[tuple]:
    """The scorecard's rows, down to the blank row above its legend."""
    rows = []
    for row in ws.iter_rows(min_row=2, values_only=True):
        if row[0] is None:
            break
        rows.append(row)
    return rows


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_scorecard_says_on_target_only_where_the_value_meets_it(books, sample_engine, does_not_apply, lang):
    ws = books[lang]["考核评分" if lang == "zh" else "Scorecard"]
    settings, table = load_settings(), indicator_map()
    names = queries.places(sample_engine, "county").set_index("name_en" if lang == "en" else "name")["code"]
    periods = {("2013年" if lang == "zh" else "2013"): "2013", ("2014年" if lang == "zh" else "2014"): "2014",
               ("2015年" if lang == "zh" else "2015"): "2015"}
    seen = set()
    for r, row in enumerate(_scorecard_rows(ws), start=2):
        period, code = periods[row[0]], names[row[1]]
        for n, ind_id in enumerate(settings.weights):
            value_cell, word_cell = ws.cell(r, 5 + 2 * n), ws.cell(r, 6 + 2 * n)
            ind = table[ind_id]
            if value_cell.value is None:
                key = "na" if (period, code, ind_id) in does_not_apply else "none"
                assert value_cell.number_format == "General"
            else:
                key = standing(value_cell.value, ind.target, settings, ind.direction)
                assert value_cell.number_format == f'"{STANDING_MARKS[key]} "0.0'
                assert ("✓" in value_cell.number_format) == meets(value_cell.value, ind.target, ind.direction)
            assert word_cell.value == WORDS[lang][key], (row[0], row[1], ind_id, value_cell.value)
            seen.add(key)
    assert seen == set(WORDS[lang])           # the sample has every standing, 不适用 and 无数据
    legend = [c.value for row in ws.iter_rows(min_row=ws.max_row - 8, max_col=1) for c in row]
    for key, text in WORDS[lang].items():
        assert f"{STANDING_MARKS[key]} {text}" in legend if key in STANDING_MARKS else text in legend


def test_a_near_value_is_not_filled_like_one_on_target(books):
    # 接近 shares the green band, but only 达标 is filled green: a glance at the colours claims nothing more.
    ws = books["zh"]["考核评分"]
    fills = {}
    for row in ws.iter_rows(min_row=2, max_row=len(_scorecard_rows(ws)) + 1, min_col=5):
        for c in row:
            if isinstance(c.value, (int, float)):
                fills.setdefault(c.number_format[1], set()).add(c.fill.fgColor.rgb if c.fill.fill_type else None)
    assert fills["✓"] == {"FFC6EFCE"} and fills["✗"] == {"FFFFC7CE"}
    assert all(fill != "FFC6EFCE" for mark, colours in fills.items() if mark != "✓" for fill in colours)


@pytest.mark.parametrize("lang, sheet", [("zh", "县（市、区）"), ("en", "Counties"), ("zh", "全市")])
def test_an_empty_value_cell_says_why(books, does_not_apply, lang, sheet):
    ws = books[lang][sheet]
    first = 4
    ids = [i.id for i in indicators() if ("city" if sheet == "全市" else "county") in i.levels]
    notes = {}
    for row in ws.iter_rows(min_row=2, min_col=1):
        period, code = row[0].value[:4], row[1].value
        for ind_id, cell in zip(ids, row[first - 1:]):
            if cell.value is None:
                assert cell.comment is not None, (period, code, ind_id)
                key = "na" if (period, code, ind_id) in does_not_apply else "none"
                assert cell.comment.text.startswith(WORDS[lang][key]), (cell.comment.text, key)
                notes[key] = notes.get(key, 0) + 1
            else:
                assert cell.comment is None
    assert notes.get("none") and (sheet == "全市" or notes.get("na") == 15)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_community_row_names_its_county(books, sample_engine, lang):
    ws = books[lang]["社区" if lang == "zh" else "Communities"]
    counties = queries.places(sample_engine, "county").set_index("code")["name_en" if lang == "en" else "name"]
    rows = list(ws.iter_rows(min_row=2, max_col=5, values_only=True))
    assert len(rows) == 552
    for period, code, name, county_code, county in rows:
        assert county_code == code[:6] and county == counties[county_code], (code, county_code, county)


@pytest.mark.parametrize("lang, words", [("zh", ("服务用房500㎡以上社区数", "不适用", "无数据", "玉州区")),
                                         ("en", ("Communities with ≥ 500 m² premises", "Not applicable", "No data",
                                                 "Yuzhou District"))])
def test_the_csv_speaks_the_language_and_says_why_a_value_is_missing(sample_db_url, tmp_path, lang, words):
    export_by_cli(sample_db_url, tmp_path / "i.csv", "--lang", lang)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "i.csv").read_bytes().decode("utf-8-sig"))))
    name, na, none, county = words
    assert name in {r["indicator_name"] for r in rows} and county in {r["area_name"] for r in rows}
    missing = [r for r in rows if r["value"] == "" and r["level"] != "community"]
    assert missing and {r["status"] for r in missing} == {na, none}
    assert all(r["status"] == "" for r in rows if r["value"] != "")
    urban = {(r["period"], r["area_code"]) for r in missing if r["indicator"] == "urban_area_ge_500_pct"}
    assert all(r["status"] == na for r in missing if (r["period"], r["area_code"]) in urban
               and r["indicator"] == "urban_area_ge_500_pct") and len(urban) == 15


@pytest.mark.parametrize("periods, fmt, lang, expected", [
    (["2015", "2013", "2014"], "xlsx", "zh", "指标_2013_2014_2015.xlsx"),
    (["2015", "2013", "2014"], "xlsx", "en", "indicators_2013_2014_2015.xlsx"),
    (["2015Q3", "2014", "2015Q1"], "csv", "en", "indicators_2014_2015Q1_2015Q3.csv"),
    (None, "csv", "zh", "指标_全部.csv"),
    ([], "xlsx", "en", "indicators_all.xlsx"),
])
def test_the_file_name_lists_the_periods_in_time_order_in_the_language(periods, fmt, lang, expected):
    assert file_name(periods, fmt, lang) == expected


@pytest.mark.parametrize("lang, expected", [("zh", "梧州市_指标_2015.xlsx"), ("en", "Wuzhou_indicators_2015.xlsx")])
def test_the_file_name_names_the_city(lang, expected):
    from etl.national import city_of
    assert file_name(["2015"], "xlsx", lang, city_of("梧州市")) == expected


def test_the_workbook_names_the_database_s_city(tmp_path):
    from click.testing import CliRunner
    from etl.cli import cli
    from etl.store.db import make_engine
    url = f"sqlite:///{tmp_path / 'wz.db'}"
    assert CliRunner().invoke(cli, ["--db", url, "init", "--city", "梧州市"]).exit_code == 0
    target = tmp_path / "out.xlsx"
    write_xlsx(make_engine(url), target)
    book = openpyxl.load_workbook(target)
    assert book.properties.title == "梧州市城乡社区规范化建设指标" and book.properties.creator == "梧州市委组织部"


def test_an_incomplete_periods_city_row_says_so(tmp_path, sample_paths):
    """One county's 2015 return: the exported 全市 row of 2015 is named incomplete (1/7), in the workbook and the
    CSV, in both languages; the complete years' rows are the city's plain name."""
    engine = make_engine(f"sqlite:///{tmp_path / 'part.db'}")
    init_db(engine)
    for path in [p for p in sample_paths if not p.name.startswith("2015")] + \
            [p for p in sample_paths if p.name.startswith("2015_450981")]:
        assert ingest_path(engine, path).status == "loaded"
    for lang, city, part in (("zh", "玉林市", "玉林市（不完整：已报送 1/7）"),
                             ("en", "Yulin City", "Yulin City (incomplete: 1 of 7 reported)")):
        write_xlsx(engine, tmp_path / f"x_{lang}.xlsx", lang=lang)
        sheet = openpyxl.load_workbook(tmp_path / f"x_{lang}.xlsx")["全市" if lang == "zh" else "City"]
        names = {row[0]: row[2] for row in sheet.iter_rows(min_row=2, values_only=True)}
        assert set(names.values()) == {city, part} and names[max(names)] == part, names
        write_csv(engine, tmp_path / f"x_{lang}.csv", levels=["city"], lang=lang)
        rows = list(csv.DictReader(io.StringIO((tmp_path / f"x_{lang}.csv").read_text(encoding="utf-8-sig"))))
        assert {r["area_name"] for r in rows if r["period"] == "2015"} == {part}
        assert {r["area_name"] for r in rows if r["period"] == "2014"} == {city}
    engine.dispose()
