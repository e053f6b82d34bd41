"""Every variation of returns.md that the reader must accept, each in a workbook built here."""
from __future__ import annotations

import pytest

from etl.ingest import ingest_path, parse_content
from etl.registry import default_registry
from returns import HEADERS, SheetSpec, communities, leader_sheet, simple_return, standard_rows, write_workbook

REGISTRY = default_registry()


def parse(path, **hints):
    return parse_content(path.read_bytes(), path.name, REGISTRY, **hints)


def loaded(path, **hints):
    parsed, report = parse(path, **hints)
    assert parsed is not None, report.flat()
    return parsed, report


def test_the_plain_template_layout_loads(tmp_path):
    parsed, report = loaded(simple_return(tmp_path / "r.xlsx"))
    assert (parsed.county_code, parsed.period) == ("450981", "2015")
    assert list(parsed.communities["community_code"]) == [c.code for c in communities()]
    assert list(parsed.communities["source_row"]) == [4, 5, 6]          # title 2 rows, header row 3
    assert report.flat() == [(None, None, "no-leader-sheet"), (None, None, "communities-missing")]  # 3 of 34


def test_header_far_down_under_a_merged_title_block(tmp_path):
    title = [["玉林市城乡社区规范化建设情况报表"], [], ["填报单位：北流市"], ["报告期：2015年"], [], [], [], [], [],
             ["单位：平方米、项"]]
    path = simple_return(tmp_path / "r.xlsx", title=title, merges=[(0, 0, 0, 9, "玉林市城乡社区规范化建设情况报表")])
    parsed, _ = loaded(path)
    assert list(parsed.communities["source_row"]) == [12, 13, 14]


def test_header_beyond_row_15_is_not_searched(tmp_path):
    path = simple_return(tmp_path / "r.xlsx", title=[["填报单位：北流市 报告期：2015年"]] + [[]] * 15)
    parsed, report = parse(path)
    assert parsed is None and report.flat() == [(None, None, "no-table")]


def test_two_row_header_with_group_cells(tmp_path):
    top = ["序号", "社区名称", "社区代码", "服务用房面积（平方米）", "服务项目数（项）", "是否实行网格化管理",
           "经费来源（万元）", "", "", "三个统一", "", ""]
    bottom = ["", "", "", "", "", "", "财政专项", "留成党费", "社会捐助", "场地", "功能", "标识"]
    rows = [[i + 1, c.name, c.code, 600, 40, "是", 10.5, 2, 1, "是", "是", "否"] for i, c in enumerate(communities())]
    merges = [(2, 6, 2, 8, "经费来源（万元）"), (2, 9, 2, 11, "三个统一")] + [
        (2, j, 3, j, top[j]) for j in range(6)]
    path = write_workbook(tmp_path / "r.xlsx", SheetSpec(headers=[top, bottom], rows=rows, merges=merges))
    parsed, report = loaded(path)
    first = parsed.communities.iloc[0]
    assert (first["fund_fiscal"], first["fund_party_fee"], first["fund_donation"]) == (10.5, 2, 1)
    assert (first["unified_site"], first["unified_function"], first["unified_sign"]) == (True, True, False)
    assert list(parsed.communities["source_row"]) == [5, 6, 7]
    assert not [p for p in report.problems if p.code == "unknown-column"]


def test_two_row_header_with_unmerged_upper_cells(tmp_path):
    top = ["社区名称", "服务用房面积（平方米）", "服务项目数（项）", "是否实行网格化管理", "经费来源（万元）", "", ""]
    bottom = ["", "", "", "", "财政专项经费", "留成党费划拨", "社会捐助"]
    rows = [[c.name, 600, 40, "是", 1, 2, 3] for c in communities()]
    parsed, _ = loaded(write_workbook(tmp_path / "r.xlsx", SheetSpec(headers=[top, bottom], rows=rows)))
    assert list(parsed.communities["fund_donation"]) == [3, 3, 3]


def test_blank_rows_and_a_serial_number_column(tmp_path):
    rows = standard_rows()
    headers = [["序号", *HEADERS]]
    body = [[1, *rows[0]], [], [2, *rows[1]], [], [], [3, *rows[2]]]
    parsed, report = loaded(simple_return(tmp_path / "r.xlsx", rows=body, headers=headers))
    assert list(parsed.communities["source_row"]) == [4, 6, 9]
    assert "unknown-column" not in [p.code for p in report.problems]


@pytest.mark.parametrize("header, field", [
    ("服务用房面积 ( 平方米 )", "service_area_m2"), ("服务用房面积(平方米)", "service_area_m2"),
    ("用房面积(㎡)", "service_area_m2"), ("面积", "service_area_m2"), ("服务用房面积", "service_area_m2"),
    ("service_area_m2", "service_area_m2"), ("Service area m2", "service_area_m2"),
    ("服务 项目数", "service_items"), ("服务项目", "service_items"), ("service_items", "service_items"),
])
def test_header_spellings(tmp_path, header, field):
    headers = ["社区名", "社区代码", header, "服务项目数（项）" if field != "service_items" else "面积",
               "是否实行网格化管理"]
    rows = [[c.name, c.code, 700, 42, "是"] for c in communities()]
    if field == "service_items":
        rows = [[c.name, c.code, 42, 700, "是"] for c in communities()]
    parsed, _ = loaded(write_workbook(tmp_path / "r.xlsx", SheetSpec(headers=[headers], rows=rows)))
    assert parsed.communities[field].iloc[0] == (42 if field == "service_items" else 700)


def test_columns_in_any_order_and_unknown_columns_warned(tmp_path):
    headers = ["是否实行网格化管理", "备用栏", "服务项目数（项）", "社区名称", "服务用房面积（平方米）"]
    rows = [["否", "x", 12, c.name, 350] for c in communities()]
    parsed, report = loaded(write_workbook(tmp_path / "r.xlsx", SheetSpec(headers=[headers], rows=rows)))
    assert list(parsed.communities["service_area_m2"]) == [350, 350, 350]
    assert (3, "B", "unknown-column") in report.flat()


@pytest.mark.parametrize("cell, expected", [
    ("520", 520), ("1,200", 1200), ("１，２００", 1200), ("５２０", 520), ("520平方米", 520), ("520㎡", 520),
    ("520 m2", 520), (" 520 ", 520), ("520\u3000", 520), (520.0, 520), ("6.5e2", 650),
])
def test_number_cells_as_clerks_type_them(tmp_path, cell, expected):
    rows = standard_rows()
    rows[0][5] = cell
    parsed, _ = loaded(simple_return(tmp_path / "r.xlsx", rows=rows))
    assert parsed.communities["service_area_m2"].iloc[0] == expected


def test_money_with_units_in_the_cell(tmp_path):
    headers = ["社区名称", "服务用房面积（平方米）", "服务项目数（项）", "是否实行网格化管理", "财政专项经费（万元）"]
    rows = [[c.name, 600, 40, "是", v] for c, v in zip(communities(), ["3.5万元", "12", "０.８"])]
    parsed, _ = loaded(write_workbook(tmp_path / "r.xlsx", SheetSpec(headers=[headers], rows=rows)))
    assert list(parsed.communities["fund_fiscal"]) == [3.5, 12, 0.8]


def test_formula_cells_give_their_cached_value(tmp_path):
    path = simple_return(tmp_path / "r.xlsx", formulas={(3, 5): ("=300+320", 620), (3, 6): ("=20*2", 40)})
    parsed, _ = loaded(path)
    assert (parsed.communities["service_area_m2"].iloc[0], parsed.communities["service_items"].iloc[0]) == (620, 40)


@pytest.mark.parametrize("yes, no", [("是", "否"), ("有", "无"), ("√", "×"), ("✓", "✗"), ("Y", "N"), ("yes", "no"),
                                     ("1", "0"), ("TRUE", "FALSE"), (True, False), (1, 0)])
def test_yes_no_spellings(tmp_path, yes, no):
    rows = standard_rows()
    rows[0][7], rows[1][7], rows[2][7] = yes, no, yes
    parsed, _ = loaded(simple_return(tmp_path / "r.xlsx", rows=rows))
    assert list(parsed.communities["grid_managed"]) == [True, False, True]


def test_short_and_long_community_and_township_names_without_codes(tmp_path):
    cs = communities(n=3)
    core = [c.name.replace("社区居委会", "").replace("社区居民委员会", "") for c in cs]
    names = [core[0] + "社区", core[1] + "社区居民委员会", core[2]]
    towns = [cs[0].township_name.replace("街道", "").replace("镇", ""), cs[1].township_name, cs[2].township_name]
    rows = [["北流市", t, None, n, None, 600, 30, "是", 1, "否"] for t, n in zip(towns, names)]
    parsed, report = loaded(simple_return(tmp_path / "r.xlsx", rows=rows))
    assert list(parsed.communities["community_code"]) == [c.code for c in cs]
    assert list(parsed.communities["community_name"]) == [c.name for c in cs]   # the registry's names are kept
    assert list(parsed.communities["community_kind"]) == [c.kind for c in cs]   # derived when blank
    assert [p.code for p in report.problems] == ["no-leader-sheet", "communities-missing"]


def test_a_contradicting_kind_and_township_are_warnings(tmp_path):
    rows = standard_rows()
    rows[0][4] = "乡镇社区" if rows[0][4] == "城市社区" else "城市社区"
    rows[1][1] = "别的街道"
    parsed, report = loaded(simple_return(tmp_path / "r.xlsx", rows=rows))
    assert (4, "E", "kind-mismatch") in report.flat() and (5, "B", "township-mismatch") in report.flat()
    assert parsed.communities["community_kind"].iloc[0] == communities()[0].kind


@pytest.mark.parametrize("marker", ["合计", "总计", "小计", "合 计"])
def test_totals_row_and_notes_under_the_table_are_skipped(tmp_path, marker):
    rows = standard_rows() + [[marker, "", "", "", "", 1800, 90]] + [["注：本表数据截至2015年12月31日"],
                                                                    ["填表人：张三   审核人：李四"], ["999"]]
    parsed, _ = loaded(simple_return(tmp_path / "r.xlsx", rows=rows))
    assert len(parsed.communities) == 3


@pytest.mark.parametrize("name", ["社区", "Sheet1", "Sheet2"])
def test_sheets_found_by_their_headers_in_any_order(tmp_path, name):
    c = communities()[0]
    leaders = leader_sheet([["王伟", "厅级", "市委常委", c.code, c.name]])
    path = write_workbook(tmp_path / "r.xlsx", SheetSpec(name="说明", title=[["填表说明：请按模板填写"]], headers=[]),
                          leaders, SheetSpec(name=name, rows=standard_rows()))
    parsed, report = loaded(path)
    assert len(parsed.communities) == 3 and len(parsed.links) == 1
    assert parsed.communities["sheet"].iloc[0] == name
    assert [p.code for p in report.warnings] == ["communities-missing"]     # 3 of the county's 34


def test_xlsm_extension_is_read_by_content(tmp_path):
    path = simple_return(tmp_path / "r.xlsx")
    xlsm = path.rename(tmp_path / "r.xlsm")
    parsed, _ = loaded(xlsm)
    assert len(parsed.communities) == 3


def test_merged_township_cells_inside_the_table_are_filled(tmp_path):
    cs = communities("450902", 3)   # three communities of 玉城街道
    rows = [["玉州区", "玉城街道" if i == 0 else "", c.code, c.name, "城市社区", 600, 30, "是", 2, "否"]
            for i, c in enumerate(cs)]
    spec = SheetSpec(title=[["填报单位：玉州区", "报告期：2015年"]], rows=rows, merges=[(2, 1, 4, 1, "玉城街道")])
    parsed, report = loaded(write_workbook(tmp_path / "r.xlsx", spec))
    assert "township-mismatch" not in [p.code for p in report.problems]
    assert len(parsed.communities) == 3


def test_quarter_periods_and_county_from_the_title(tmp_path):
    title = [["北流市2015年第三季度社区规范化建设情况报表"]]
    parsed, _ = loaded(simple_return(tmp_path / "r.xlsx", title=title))
    assert (parsed.county_code, parsed.period) == ("450981", "2015Q3")


def test_leader_links_load_and_an_overloaded_leader_is_warned(tmp_path):
    cs = communities(n=5)
    links = [["李明", "县级", "市委副书记", c.code, c.name] for c in cs[:4]] + [["赵强", "厅级", "副市长", "", cs[4].name]]
    rows = [[c.county_name, c.township_name, c.code, c.name, c.kind, 600, 30, "是", 2, "是"] for c in cs]
    path = write_workbook(tmp_path / "r.xlsx", SheetSpec(rows=rows), leader_sheet(links))
    parsed, report = loaded(path)
    assert len(parsed.links) == 5
    assert parsed.links["community_code"].iloc[4] == cs[4].code
    assert (6, None, "leader-overload") in report.flat()   # the 4th link, on row 6


def test_a_hidden_sheet_is_read_with_a_warning(tmp_path):
    path = write_workbook(tmp_path / "r.xlsx", SheetSpec(name="封面", title=[["封面"]], headers=[]),
                          SheetSpec(rows=standard_rows(), hidden=True))
    parsed, report = loaded(path)
    assert "hidden-sheet" in [p.code for p in report.problems]


def test_the_whole_pipeline_loads_a_variant_return_into_the_database(tmp_path, engine):
    rows = standard_rows()
    rows[0][5] = "５２０平方米"
    outcome = ingest_path(engine, simple_return(tmp_path / "r.xlsx", rows=rows))
    assert outcome.status == "loaded"
    from etl.store import queries
    values = queries.indicator_values(engine, period="2015", level="county")
    got = values.set_index(["area_code", "indicator"])["value"]
    assert got[("450981", "communities")] == 3
    assert got[("450981", "area_mean_m2")] == pytest.approx((520 + 600 + 600) / 3)
