"""The dashboard's pure parts over the real sample data: figures, number formats, labels, URLs (quality flags:
tests/test_quality_flags.py).

Each figure (a plain dict) is loaded into plotly's go.Figure, which refuses any key plotly.js does not know.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import data, figures
from dashboard.geo import counties_geojson
from dashboard.i18n import LABELS, fmt_change, fmt_number, fmt_value, t
from dashboard.urls import href, parse_search, search_with
from etl.config import indicator_map

COUNTIES = ["450902", "450903", "450921", "450922", "450923", "450924", "450981"]


@pytest.fixture(scope="module")
def src(sample_engine):
    return data.source_for(sample_engine)


@pytest.mark.parametrize("value, unit, expected", [
    (127, "count", "127"), (1234567, "count", "1,234,567"), (100.0, "pct", "100%"), (87.54, "pct", "87.5%"),
    (87.55, "pct", "87.6%"), (2581.07, "wan_yuan", "2,581.1"), (59.0, "items", "59"), (8.21, "people", "8.2"),
    (1022.76, "m2", "1,023"), (None, "pct", "—"), (float("nan"), "count", "—"), (pd.NA, "items", "—"),
])
def test_numbers_read_as_officials_expect(value, unit, expected):
    assert fmt_number(value, unit) == expected


@pytest.mark.parametrize("value, unit, lang, expected", [
    (127, "count", "zh", "127个"), (127, "count", "en", "127"), (59, "items", "zh", "59项"),
    (59, "items", "en", "59 items"), (100, "pct", "en", "100%"), (4970.4, "wan_yuan", "zh", "4,970.4 万元"),
    (None, "count", "zh", "—"),
])
def test_values_carry_their_unit(value, unit, lang, expected):
    assert fmt_value(value, unit, lang) == expected


def test_change_since_baseline_reads_like_the_article():
    assert fmt_change(20, 127, "count", 127 / 20) == "20 → 127 (×6.4)"
    assert fmt_change(12, 59, "items", 59 / 12) == "12 → 59 (×4.9)"
    assert fmt_change(0, 100, "pct", float("nan")) == "0% → 100%"


def test_every_label_in_both_languages():
    assert all(zh.strip() and en.strip() for zh, en in LABELS.values())
    assert t("source", "zh", period="2015年") == "来源：各县（市、区）报表，2015年"


def test_trend_marks_target_and_baseline(src):
    ind = indicator_map()["services_mean"]
    series = data.city_values(src, indicator="services_mean")[["period", "value"]]
    fig = go.Figure(figures.trend(series, ind, "zh", "社区平均服务项目数：全市趋势", figures.source_text("2015", "zh"), "2013"))
    assert list(fig.data[0].y) == pytest.approx([12.0, 32.798913, 59.0], rel=1e-4)
    assert list(fig.data[0].x) == [2013, 2014, 2015]        # a time axis, labelled as officials write periods
    assert list(fig.layout.xaxis.ticktext) == ["2013年", "2014年", "2015年"]
    assert fig.data[1].name == "基期" and list(fig.data[1].x) == [2013] and fig.data[1].textposition == "top center"
    dashed = [s for s in fig.layout.shapes if s.line.dash == "dash"]
    assert len(dashed) == 1 and dashed[0].y0 == 59
    assert any(a.text == "来源：各县（市、区）报表，2015年，已审核" for a in fig.layout.annotations)
    assert "Noto Sans CJK SC" in fig.layout.font.family


def test_trend_spaces_periods_by_time_and_keeps_incomplete_ones_off_the_line():
    """2015 and 2026 stand eleven years apart; an incomplete period's city point is drawn apart, not joined."""
    ind = indicator_map()["area_ge_500"]
    series = pd.DataFrame({"period": ["2013", "2015", "2026", "2026Q1"], "value": [20, 127, 12, 13]})
    fig = go.Figure(figures.trend(series.iloc[:3], ind, "en", "t", "s", None, incomplete={"2026"}))
    line, apart = fig.data
    assert list(line.x) == [2013, 2015] and line.mode == "lines+markers"
    assert list(apart.x) == [2026] and apart.mode == "markers" and apart.name == "Incomplete period"
    assert list(fig.layout.xaxis.tickvals) == [2013, 2015, 2026] and fig.layout.xaxis.ticktext[-1] == "2026"
    assert figures.period_x("2026Q1") == pytest.approx(2026.125)


def test_map_draws_seven_counties_from_the_shipped_boundaries(src):
    ind = indicator_map()["area_ge_500"]
    county = data.values(src, "county", "2015", "area_ge_500")
    fig = go.Figure(figures.county_map(county, counties_geojson(), ind, "en", "title", "source"))
    choropleth = fig.data[0]
    assert sorted(choropleth.locations) == COUNTIES and sum(choropleth.z) == 127
    assert {f["id"] for f in choropleth.geojson["features"]} == set(COUNTIES)
    assert fig.layout.geo.visible is False and fig.layout.geo.fitbounds == "locations"
    assert "Yuzhou District" in list(choropleth.text)


def test_ranking_keeps_each_countys_colour(src):
    ind = indicator_map()["area_ge_1000"]
    county = data.values(src, "county", "2015", "area_ge_1000")
    fig = go.Figure(figures.ranking(county, ind, "zh", "title", "source"))
    bar = fig.data[0]
    assert sum(bar.x) == 50 and list(bar.x) == sorted(bar.x)          # best at the top of a horizontal bar chart
    names = dict(zip(county["area_name"], county["area_code"]))
    assert list(bar.marker.color) == [figures.COUNTY_COLORS[names[n]] for n in bar.y]


def test_histogram_marks_the_area_standards(src):
    rows = data.community_rows(src, "2015")
    fig = go.Figure(figures.area_histogram(rows, "zh", "title", "source"))
    assert sorted(s.x0 for s in fig.layout.shapes) == [300, 500, 1000]
    assert len(fig.data[0].x) == 184


def test_leader_bars_count_distinct_linked_communities(src):
    acc = data.leaders(src, "2015")
    fig = go.Figure(figures.leader_bars(acc, "en", "title", "source", "2014"))
    linked = fig.data[0]
    links = data.link_rows(src, "2015")
    distinct = [links.loc[links["leader_level"] == lv, "community_code"].nunique() for lv in ("厅级", "县级")]
    assert list(linked.y) == distinct == [65, 143]             # not the 71 and 309 links: those are in the hover
    assert list(linked.customdata) == ["Links: 71", "Links: 309"]
    assert [d.name for d in fig.data] == ["Communities linked", "Met at baseline (2014)", "Meet now"]
    assert (acc["leader_level"] == "厅级").sum() == 36 and (acc["leader_level"] == "县级").sum() == 156


def test_graph_config_is_local_and_localised():
    zh, en = figures.graph_config("zh"), figures.graph_config("en")
    assert zh["locale"] == "zh-CN" and en["locale"] == "en"
    assert zh["topojsonURL"].startswith("/assets/") and zh["displaylogo"] is False


@pytest.mark.parametrize("search, name, value, expected", [
    ("", "period", "2013", "?period=2013"), ("?period=2015&lang=en", "period", "2013", "?period=2013&lang=en"),
    ("?county=450902", "county", None, ""), ("?q=a", "q", "", ""),
])
def test_search_with_sets_one_parameter(search, name, value, expected):
    assert search_with(search, name, value) == expected


def test_links_keep_only_given_parameters():
    assert href("/counties", county="450921", period="2015", lang=None) == "/counties?county=450921&period=2015"
    assert parse_search("?a=1&a=2") == {"a": "2"}


def test_the_reporting_matrix_carries_the_citys_comment_on_a_returned_return():
    from dashboard.quality import reporting_matrix
    subs = pd.DataFrame({"id": [1, 2, 3], "county_code": ["450981", "450981", "450902"],
                         "period": ["2015", "2015", "2015"], "status": ["superseded", "returned", "approved"],
                         "uploaded_at": [None, None, None], "file_name": ["a", "b", "c"],
                         "warnings": [[], [{"code": "x"}], []], "comment": [None, "请补充经费数据", None]})
    grid = reporting_matrix(subs, ["450902", "450981", "450923"], ["2015"]).set_index("county_code")
    assert grid.loc["450981", "status"] == "returned" and grid.loc["450981", "comment"] == "请补充经费数据"
    assert grid.loc["450981", "n_warnings"] == 1 and grid.loc["450923", "status"] is None
