"""An unknown community name gets up to three suggestions, the county's most alike names, in both messages."""
from __future__ import annotations

import time

import pytest

from etl.ingest import ingest_path, parse_content
from etl.read.problems import Problem
from etl.registry import default_registry, load_registry_csv
from returns import communities, leader_sheet, SheetSpec, simple_return, standard_rows, write_workbook


def _unknown(tmp_path, name: str) -> list[Problem]:
    """The problems of a Beiliu return whose second row names `name` (no code)."""
    rows = standard_rows()
    rows[1][2], rows[1][3] = None, name
    path = simple_return(tmp_path / "r.xlsx", rows=rows)
    parsed, report = parse_content(path.read_bytes(), path.name, default_registry())
    assert parsed is None
    return [p for p in report.errors if p.code == "unknown-community"]


@pytest.mark.parametrize("name, first", [
    ("永丰居委", "永丰社区居委会"),       # an abbreviation the name rules do not know
    ("永丰村社区", "永丰社区居委会"),
    ("朱沙罗社区", "朱砂罗社区居委会"),    # a typo
    ("贵仁社区", "贵仁堂社区居委会"),      # a character left out
])
def test_an_unknown_name_suggests_its_community_first(tmp_path, name, first):
    [problem] = _unknown(tmp_path, name)
    assert (problem.row, problem.column, problem.value) == (5, "D", name)
    suggested = problem.detail.split("、")
    assert suggested[0] == first and len(suggested) <= 3
    assert problem.message_zh == f"区划名录中没有社区“{name}”；是否为：{problem.detail}？"
    assert problem.message_en == f"there is no community '{name}' in the registry; did you mean: " \
                                 f"{', '.join(suggested)}?"


@pytest.mark.parametrize("name", ["永丰", "永丰社区", "永丰居民委员会"])
def test_a_name_with_the_core_of_a_registry_name_needs_no_suggestion(tmp_path, name):
    rows = standard_rows()
    rows[1][2], rows[1][3], rows[1][1] = None, name, "城南街道"
    path = simple_return(tmp_path / "r.xlsx", rows=rows)
    parsed, report = parse_content(path.read_bytes(), path.name, default_registry())
    assert report.valid, report.flat()
    assert "永丰社区居委会" in parsed.communities["community_name"].tolist()


def test_only_the_county_s_communities_are_suggested(tmp_path):
    # 东城 is one character from 玉州区's 东成社区, but a Beiliu return is matched against Beiliu's communities.
    assert "东成社区居委会" in {c.name for c in communities("450902", 40)}
    [problem] = _unknown(tmp_path, "东城社区")
    assert problem.detail == "" and problem.message_zh == "区划名录中没有社区“东城社区”"
    assert problem.message_en == "there is no community '东城社区' in the registry"


@pytest.mark.parametrize("name", ["不存在社区", "没有这个社区", "xyz"])
def test_a_nonsense_name_gets_no_suggestion(tmp_path, name):
    [problem] = _unknown(tmp_path, name)
    assert problem.detail == ""
    assert "是否为" not in problem.message_zh and "did you mean" not in problem.message_en


def test_an_unknown_code_with_a_name_suggests_by_the_name(tmp_path):
    rows = standard_rows()
    rows[1][2], rows[1][3] = "450981999999", "朱沙罗社区"
    path = simple_return(tmp_path / "r.xlsx", rows=rows)
    _, report = parse_content(path.read_bytes(), path.name, default_registry())
    [problem] = report.errors
    assert (problem.row, problem.column, problem.code) == (5, "C", "unknown-community")
    assert problem.detail.split("、")[0] == "朱砂罗社区居委会"


def test_the_leader_sheet_s_unknown_community_is_suggested_too(engine, tmp_path):
    cs = communities(n=7)
    path = write_workbook(tmp_path / "r.xlsx", SheetSpec(rows=standard_rows(n=7)),
                          leader_sheet([["王伟", "厅级", "市委常委", cs[0].code, cs[0].name],
                                        ["李强", "厅级", "副市长", "", "朱沙罗社区"]]))
    outcome = ingest_path(engine, path)        # the real pipeline: the isolated parse, then validation here
    assert outcome.status == "rejected"
    [problem] = outcome.report.errors
    assert (problem.row, problem.column, problem.code) == (4, "E", "leader-unknown-community")
    assert problem.message_zh.endswith("；是否为：朱砂罗社区居委会？")
    assert problem.message_en.startswith("linked community '朱沙罗社区' is not in the registry; did you mean: 朱砂罗社区居委会")


def test_suggestions_are_computed_once_per_name_and_county(monkeypatch):
    import etl.registry as registry_module
    registry = registry_module.load_registry_csv()
    calls = []
    real = registry_module._most_like
    monkeypatch.setattr(registry_module, "_most_like", lambda *a: calls.append(a[0]) or real(*a))
    for _ in range(1000):
        registry.similar("朱沙罗社区", "450981")
        registry.similar("朱沙罗", "450981")            # the same core
    assert calls == ["朱沙罗"]


def test_a_hundred_thousand_distinct_unknown_names_are_suggested_for_quickly():
    registry = load_registry_csv()
    start = time.perf_counter()
    found = [registry.similar(f"朱沙罗{i}", "450981") for i in range(100_000)]
    assert time.perf_counter() - start < 5          # about a second
    assert found[5][0].name == "朱砂罗社区居委会"


def test_a_big_return_of_unknown_names_stays_fast(tmp_path):
    """10,000 rows, 500 distinct unknown names: suggestions are no slower than the rest of the validation."""
    rows = [["北流市", "城南街道", None, f"朱沙罗{i % 500}社区", "城市社区", 600, 30, "是", 2, "否"]
            for i in range(10_000)]
    path = simple_return(tmp_path / "r.xlsx", rows=rows)
    content = path.read_bytes()
    start = time.perf_counter()
    _, report = parse_content(content, path.name, default_registry())
    assert time.perf_counter() - start < 10
    assert len([p for p in report.errors if p.code == "unknown-community"]) == 10_000
    assert report.errors[0].detail.split("、")[0] == "朱砂罗社区居委会"
