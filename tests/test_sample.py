"""The sample generator: deterministic files, the article's figures in its model, every reader variation used."""
from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from etl.read import schema
from etl.registry import Community, Registry, default_registry, township_key
from etl.files.sample import PERIODS, build_sample, generate, sample_links, sample_truth, short_name

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"urban_area_ge_500_pct": 100, "township_area_ge_300_pct": 100, "services_mean": 59,
           "grid_coverage_pct": 100, "party_standard_pct": 100, "three_unified_pct": 100,
           "facilities_full_pct": 100, "weak_linked_pct": 100}


def pct(mask: pd.Series) -> float:
    return round(100 * mask.mean(), 6) if len(mask) else 0.0


def figures(period: str) -> dict[str, float]:
    """The city-level indicators of indicators.md, computed from the model with pandas."""
    t, links = sample_truth(period), sample_links(period)
    urban, township = t[t.community_kind == schema.KIND_URBAN], t[t.community_kind == schema.KIND_TOWNSHIP]
    weak = t[t.weak]
    funds = t[["fund_fiscal", "fund_party_fee", "fund_donation"]].sum(axis=1)
    leaders = links.groupby(["leader_name", "leader_level"]).size()
    return {
        "communities": len(t),
        "area_ge_500": int((t.service_area_m2 >= 500).sum()),
        "area_ge_1000": int((t.service_area_m2 >= 1000).sum()),
        "urban_area_ge_500_pct": pct(urban.service_area_m2 >= 500),
        "township_area_ge_300_pct": pct(township.service_area_m2 >= 300),
        "area_mean_m2": t.service_area_m2.mean(),
        "services_mean": t.service_items.mean(),
        "grid_coverage_pct": pct(t.grid_managed),
        "party_standard_pct": pct(t.party_org_standard),
        "three_unified_pct": pct(t.unified_site & t.unified_function & t.unified_sign),
        "facilities_full_pct": pct(t.facilities == 11),
        "weak_communities": len(weak),
        "weak_linked_pct": pct(weak.community_code.isin(links.community_code)),
        "leaders_prefecture": links[links.leader_level == schema.LEVEL_PREFECTURE].leader_name.nunique(),
        "leaders_county": links[links.leader_level == schema.LEVEL_COUNTY].leader_name.nunique(),
        "leader_load_ok_pct": pct(leaders.between(1, 3)) if len(leaders) else 0.0,
        "funding_total": funds.sum(),
        "funding_fiscal_share_pct": 100 * t.fund_fiscal.sum() / funds.sum(),
        "staff_per_community": t.staff.mean(),
        "trained_total": t.trained.sum(),
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> list[Path]:
    return generate(tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def workbooks(generated) -> dict[str, openpyxl.Workbook]:
    return {p.name: openpyxl.load_workbook(p) for p in generated}


def test_21_files_named_period_code_county(generated):
    registry = default_registry()
    expected = {f"{p}_{code}_{name}.xlsx" for p in PERIODS for code, name in registry.counties.items()}
    assert len(generated) == 21
    assert {p.name for p in generated} == expected


def test_same_bytes_every_run(generated, tmp_path):
    again = generate(tmp_path)
    assert [p.name for p in again] == [p.name for p in generated]
    for a, b in zip(generated, again):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_committed_sample_is_a_fresh_generate(generated):
    committed = sorted((ROOT / "sample_data").glob("*"))
    assert [p.name for p in committed] == sorted(p.name for p in generated)
    fresh = {p.name: p.read_bytes() for p in generated}
    for p in committed:
        assert p.read_bytes() == fresh[p.name], f"sample_data/{p.name} is stale: regenerate it"


@pytest.mark.parametrize("period, indicator, expected", [
    ("2013", "communities", 184), ("2015", "communities", 184),
    ("2013", "area_ge_500", 20), ("2015", "area_ge_500", 127),
    ("2013", "area_ge_1000", 6), ("2015", "area_ge_1000", 50),
    ("2015", "urban_area_ge_500_pct", 100), ("2015", "township_area_ge_300_pct", 100),
    ("2013", "services_mean", 12.0), ("2015", "services_mean", 59.0),
    ("2015", "grid_coverage_pct", 100), ("2015", "weak_linked_pct", 100),
    ("2015", "leaders_prefecture", 36), ("2015", "leaders_county", 156),
    ("2015", "leader_load_ok_pct", 100),
])
def test_article_figures(period, indicator, expected):
    assert figures(period)[indicator] == pytest.approx(expected)


def test_kind_counts_and_baseline_services_sum():
    t = sample_truth("2015")
    assert (t.community_kind == schema.KIND_URBAN).sum() == 56
    assert (t.community_kind == schema.KIND_TOWNSHIP).sum() == 128
    assert sample_truth("2013").service_items.sum() == 2208


def test_2014_lies_between():
    f13, f14, f15 = (figures(p) for p in PERIODS)
    for key in f13:
        lo, hi = sorted((f13[key], f15[key]))
        assert lo <= f14[key] <= hi, key
    assert f13["area_ge_500"] < f14["area_ge_500"] < f15["area_ge_500"]
    assert f13["services_mean"] < f14["services_mean"] < f15["services_mean"]


def test_2013_clearly_below_every_target():
    f13 = figures("2013")
    for key, target in TARGETS.items():
        assert f13[key] < 0.5 * target, key
    assert f13["grid_coverage_pct"] < 50


def test_premises_never_shrink_and_weak_set_is_fixed():
    t = {p: sample_truth(p).set_index("community_code") for p in PERIODS}
    for a, b in zip(PERIODS, PERIODS[1:]):
        assert (t[a].service_area_m2 <= t[b].service_area_m2).all()
        assert (t[a].service_items <= t[b].service_items).all()
        assert (t[a].weak == t[b].weak).all()
    assert 60 <= t["2015"].weak.sum() <= 100


def test_values_in_schema_ranges():
    for p in PERIODS:
        t = sample_truth(p)
        assert t.facilities.between(0, 11).all() and t.staff.between(3, 15).all()
        assert t.service_items.between(0, 59).all() and t.service_area_m2.between(0, 20000).all()
        assert ((~t.grid_managed) | (t.grid_count >= 1)).all()
        assert t.build_mode.dropna().isin(schema.BUILD_MODES).all()
        for col in ("fund_fiscal", "fund_party_fee", "fund_donation"):
            assert (t[col] >= 0).all() and (t[col].round(1) == t[col]).all()
    assert sample_truth("2013").build_mode.isna().all()
    assert figures("2015")["funding_fiscal_share_pct"] > 50  # fiscal is the main source


def test_leader_links_follow_the_rules():
    registry = default_registry().by_code()
    assert sample_links("2013").empty  # the leader system began later
    links = sample_links("2015")
    assert links.community_code.isin(registry).all()
    per_leader = links.groupby(["leader_name", "leader_level"]).community_code.nunique()
    assert per_leader.between(1, 3).all()
    assert not links.duplicated(["leader_name", "leader_level", "community_code"]).any()
    assert links.groupby("leader_name").leader_level.nunique().max() == 1  # names are unique per leader
    counties = links.assign(county=links.community_code.str[:6]).groupby(["leader_name", "leader_level"]).county
    spans = counties.nunique()
    assert (spans.xs(schema.LEVEL_COUNTY, level=1) == 1).all()
    assert (spans.xs(schema.LEVEL_PREFECTURE, level=1) > 1).any()  # a city leader in several counties
    partial = figures("2014")
    assert 0 < partial["leaders_prefecture"] < 36 and 0 < partial["leaders_county"] < 156


def test_plausible_by_county():
    t = sample_truth("2015").assign(county_code=lambda d: d.community_code.str[:6])
    assert t.groupby("county_code").service_area_m2.mean().idxmax() == "450902"
    township = t[t.community_kind == schema.KIND_TOWNSHIP].groupby("county_code").size()
    assert township.idxmax() == "450923"


def test_generator_scales_to_a_bigger_registry():
    base = default_registry().communities
    bigger = base + tuple(Community(c.code[:-3] + str(500 + i % 499).zfill(3), f"新{i}社区居委会", c.township_code,
                                    c.township_name, c.county_code, c.county_name, c.kind)
                          for i, c in enumerate(base))
    sample = build_sample(Registry(bigger), ("2013", "2014", "2015"), seed=7)
    last = sample.communities[sample.communities.period == "2015"]
    assert len(last) == 368
    assert (last.service_area_m2 >= 500).sum() == 254
    assert sample.communities[sample.communities.period == "2013"].service_items.mean() == 12.0
    assert sample.links[sample.links.period == "2015"].groupby("leader_name").size().between(1, 3).all()


# ---- the variations of returns.md, each present somewhere -----------------------------------------------

def cells(wb) -> list:
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def strings(workbooks) -> list[str]:
    return [c.value for wb in workbooks.values() for c in cells(wb) if isinstance(c.value, str)]


def test_title_block_everywhere(workbooks):
    for name, wb in workbooks.items():
        ws = next(ws for ws in wb.worksheets if ws.title != schema.NOTES_SHEET)
        assert ws["A1"].value.startswith("玉林市") and any(str(r).startswith("A1:") for r in ws.merged_cells.ranges)
        texts = [c.value for c in cells(wb) if isinstance(c.value, str)]
        county = name.split("_")[2].removesuffix(".xlsx")
        assert f"填报单位：{county}" in texts
        assert any(t.startswith(f"报告期：{name[:4]}年") for t in texts)


def test_period_written_both_ways(workbooks):
    texts = set(strings(workbooks))
    assert "报告期：2015年" in texts and "报告期：2015年度" in texts


def test_two_row_header(workbooks):
    found = False
    for wb in workbooks.values():
        for ws in wb.worksheets:
            for rng in ws.merged_cells.ranges:
                if ws.cell(rng.min_row, rng.min_col).value == "经费来源（万元）" and rng.max_col - rng.min_col == 2:
                    below = [ws.cell(rng.min_row + 1, c).value for c in range(rng.min_col, rng.max_col + 1)]
                    assert below == ["财政专项", "留成党费", "社会捐助"]
                    found = True
    assert found


def test_totals_row_with_cached_formulas(workbooks, generated):
    wb = next(wb for wb in workbooks.values() for c in cells(wb) if c.value == "合计")
    ws = next(ws for ws in wb.worksheets for row in ws.iter_rows() if row[0].value == "合计")
    row = next(r for r in ws.iter_rows() if r[0].value == "合计")
    assert any(isinstance(c.value, str) and c.value.startswith("=SUM(") for c in row)
    path = next(p for p in generated if p.name in {k for k, v in workbooks.items() if v is wb})
    cached = openpyxl.load_workbook(path, data_only=True)[ws.title]
    assert any(isinstance(c.value, (int, float)) and c.value > 0 for c in cached[row[0].row])


def test_notes_under_the_table(workbooks):
    texts = strings(workbooks)
    assert any(t.startswith("注：本表数据截至") for t in texts)
    assert any(t.startswith("填表人：") and "审核人：" in t for t in texts)


def test_sheet_names_and_order(workbooks):
    names = [wb.sheetnames for wb in workbooks.values()]
    assert any(n[0] == "Sheet1" for n in names)
    assert any(n[0] == schema.LEADER_SHEET for n in names)  # leader sheet before the community sheet
    assert any(schema.NOTES_SHEET in n for n in names)
    for name, wb in workbooks.items():
        has_leaders = any(ws.max_row > 3 and "联系社区代码" in [c.value for c in ws[3]] + [c.value for c in ws[4]]
                          for ws in wb.worksheets)
        assert has_leaders == (not name.startswith("2013")), name


def test_header_variants(workbooks):
    texts = set(strings(workbooks))
    assert {"序号", "用房面积(㎡)", "社区名", "服务项目", "乡镇(街道)", "社 区 名 称", "备注"} <= texts
    assert "服务用房\n面积（平方米）" in texts
    first_headers = {wb.worksheets[0].cell(3, 1).value for wb in workbooks.values()}
    assert "社区代码" in first_headers or "联系社区代码" in first_headers  # another column order


@pytest.mark.parametrize("pattern", [
    r"\d+平方米", r"\d+㎡", r"\d+(\.\d)?万元", r"\d{1,3}(,\d{3})+", r"[０-９]+", r"\d+ ", r"\d{2,4}"])
def test_numbers_written_as_text(workbooks, pattern):
    assert any(re.fullmatch(pattern, t) for t in strings(workbooks))


def test_formula_in_a_data_cell(workbooks):
    assert any(re.fullmatch(r"=\d+\+\d+", t) for t in strings(workbooks))


@pytest.mark.parametrize("yes, no", [("是", "否"), ("√", "×"), ("有", "无"), ("Y", "N")])
def test_yes_no_spellings(workbooks, yes, no):
    texts = set(strings(workbooks))
    assert yes in texts and no in texts


def test_short_names_trailing_spaces_and_county_code(workbooks):
    registry = default_registry()
    texts = set(strings(workbooks))
    shorts = {short_name(c.name) for c in registry.communities} - {c.name for c in registry.communities}
    assert texts & shorts
    townships = {township_key(c.township_name) for c in registry.communities}
    assert texts & (townships - {c.township_name for c in registry.communities})
    assert any(t.endswith("居委会 ") for t in texts)
    assert "450924" in texts


def _community_tables(workbooks):
    for wb in workbooks.values():
        for ws in wb.worksheets:
            rows = list(ws.iter_rows(values_only=True))
            head = next((i for i, r in enumerate(rows[:15]) if "社区代码" in r and "社区类型" in r), None)
            if head is not None:
                yield rows[head], rows[head + 1:]


def test_blank_codes_kinds_and_rows(workbooks):
    blank_code = blank_kind = blank_row = False
    for header, rows in _community_tables(workbooks):
        code, kind = header.index("社区代码"), header.index("社区类型")
        data = [r for r in rows if r[code] or any(isinstance(v, str) and v.endswith(("居委会", "委员会")) for v in r)]
        blank_code |= any(r[code] is None for r in data)
        blank_kind |= any(r[kind] is None for r in data)
        filled = [any(v is not None for v in r) for r in rows]
        blank_row |= any(not f and any(filled[i + 1:]) and any(filled[:i]) for i, f in enumerate(filled))
    assert blank_code and blank_kind and blank_row


def test_merged_leader_cells(workbooks):
    for wb in workbooks.values():
        if schema.LEADER_SHEET in wb.sheetnames:
            ws = wb[schema.LEADER_SHEET]
            if any(r.max_row > r.min_row for r in ws.merged_cells.ranges):
                return
    pytest.fail("no return merges a leader's cells over their rows")
