"""Leader figures count the right things: a return without a leader sheet has no leader figures (missing, not 0),
on the reference path (indicators.compute) and on the stored one (recompute), at every level; the scorecard
leaves such a figure out instead of scoring it 0."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from dashboard import data, ids
from etl.store import queries
from etl.config import indicators, load_settings
from etl.store.db import make_engine
from etl.store.setup import init_db
from etl.compute.indicators import community_values, compute, over_links, return_terms
from etl.ingest import ingest_path
from etl.store.recompute import expected_counties
from etl.registry import DEFAULT_CITY

CITY_CODE = DEFAULT_CITY.code
from etl.compute.scorecard import scorecard
from returns import SheetSpec, communities, leader_sheet, standard_rows, write_workbook

OVER_LINKS = [i.id for i in indicators() if over_links(i)]


def test_the_indicators_over_links_are_the_leader_table_and_the_weak_communities_linked():
    assert sorted(OVER_LINKS) == sorted(["weak_linked_pct", "leaders_prefecture", "leaders_county",
                                         "leader_load_ok_pct"])


def _leader_values(values: pd.DataFrame, period: str) -> pd.DataFrame:
    return values[(values["period"] == period) & values["indicator"].isin(OVER_LINKS)
                  & values["level"].isin(["city", "county"])]


def test_2013_had_no_leader_sheet_and_has_no_leader_figures_stored_or_computed(sample_engine):
    stored = queries.indicator_values(sample_engine)
    with sample_engine.connect() as conn:
        fresh = compute(queries.community_rows(conn), queries.link_rows(conn), expected_counties(conn))
    for values in (stored, fresh):
        leader = _leader_values(values, "2013")
        assert leader["value"].isna().all(), leader.dropna(subset=["value"])
        assert set(leader["indicator"]) == {"weak_linked_pct"}     # the others are not even stored: no leader rows
        assert len(leader) == 8                                      # the city and its 7 counties, each missing
        weak = values[(values["period"] == "2013") & (values["indicator"] == "weak_communities")
                      & (values["level"] == "city")]
        assert weak["value"].tolist() == [80]                       # the weak communities themselves are known
    community = queries.indicator_values(sample_engine, period="2013", level="community",
                                         indicator="weak_linked_pct")
    assert len(community) == 184 and community["value"].isna().all()


@pytest.mark.parametrize("indicator, expected", [
    ("leaders_prefecture", 36), ("leaders_county", 156), ("weak_linked_pct", 100), ("leader_load_ok_pct", 100),
])
def test_2015s_leader_figures_are_the_articles(sample_engine, indicator, expected):
    value = queries.indicator_values(sample_engine, period="2015", level="city", indicator=indicator)["value"]
    assert value.tolist() == [expected]


def _rows(county: str, weak: list[bool]) -> pd.DataFrame:
    codes = [c.code for c in communities(county, len(weak))]
    fields = ["service_area_m2", "service_items", "facilities", "grid_managed", "grid_count", "party_org_standard",
              "unified_site", "unified_function", "unified_sign", "fund_fiscal", "fund_party_fee", "fund_donation",
              "staff", "trained"]
    return pd.DataFrame({"period": "2015", "county_code": county, "community_code": codes,
                         "community_kind": "城市社区", "weak": weak, **{f: 1 for f in fields}})


def test_a_county_without_links_is_missing_and_the_city_is_over_the_counties_with_links():
    rows = pd.concat([_rows("450981", [True, True, False]), _rows("450902", [True, True, False])],
                     ignore_index=True)
    linked = rows["community_code"].iloc[3]          # 450902: one of its two weak communities linked
    links = pd.DataFrame({"period": "2015", "county_code": "450902", "leader_name": "王伟", "leader_level": "厅级",
                          "community_code": [linked]})
    out = compute(rows, links, ["450902", "450981"]).set_index(["level", "area_code", "indicator"])["value"]
    assert pd.isna(out["county", "450981", "weak_linked_pct"])      # no leader sheet: unknown, not 0 %
    assert out["county", "450902", "weak_linked_pct"] == 50
    assert out["city", CITY_CODE, "weak_linked_pct"] == 50           # over the county that reported links
    assert ("county", "450981", "leaders_prefecture") not in out.index
    assert out["county", "450902", "leaders_prefecture"] == 1

    own = community_values(rows, links)
    own = own[own["indicator"] == "weak_linked_pct"].set_index("area_code")["value"]
    codes = rows["community_code"]
    assert own[codes.iloc[:3]].isna().all()                          # a county without links: each missing
    assert own[codes.iloc[3:5]].tolist() == [100, 0] and pd.isna(own[codes.iloc[5]])   # not weak: not applicable

    nothing = compute(rows, links.iloc[0:0], ["450902", "450981"])
    assert _leader_values(nothing, "2015")["value"].isna().all()     # no return with links: the city too


def test_a_returns_terms_without_links_count_no_weak_community():
    rows = _rows("450981", [True, True, False]).drop(columns=["period", "county_code"])
    no_links = pd.DataFrame(columns=["leader_name", "leader_level", "community_code"])
    terms = return_terms(rows, no_links, "2015", "450981").set_index("indicator")
    assert terms.loc["weak_linked_pct", ["a", "b"]].tolist() == [0, 0]
    assert terms.loc["weak_communities", "a"] == 2


def _return(path, county: str, label: str, links: list | None):
    title = [["玉林市城乡社区规范化建设情况报表"], [f"填报单位：{label}", "", "", "", "报告期：2015年"]]
    sheets = [SheetSpec(rows=standard_rows(county, weak="是"), title=title)]
    if links is not None:
        sheets.append(leader_sheet(links, label))
    return write_workbook(path, *sheets)


def test_the_stored_values_of_a_county_without_a_leader_sheet_are_missing_as_computed(engine, tmp_path):
    c = communities("450902")
    assert ingest_path(engine, _return(tmp_path / "a.xlsx", "450981", "北流市", None)).status == "loaded"
    assert ingest_path(engine, _return(tmp_path / "b.xlsx", "450902", "玉州区",
                                       [["李明", "县级", "区长", c[0].code, c[0].name]])).status == "loaded"
    stored = queries.indicator_values(engine).set_index(["level", "area_code", "indicator"])["value"]
    assert pd.isna(stored["county", "450981", "weak_linked_pct"])
    assert stored["county", "450902", "weak_linked_pct"] == pytest.approx(100 / 3)
    assert stored["city", CITY_CODE, "weak_linked_pct"] == pytest.approx(100 / 3)
    with engine.connect() as conn:
        fresh = compute(queries.community_rows(conn), queries.link_rows(conn), expected_counties(conn))
    fresh = fresh.set_index(["level", "area_code", "indicator"])["value"]
    both = pd.concat([stored[stored.index.get_level_values(0) != "community"], fresh], axis=1, join="inner")
    assert len(both) == len(fresh)
    pd.testing.assert_series_equal(both.iloc[:, 0], both.iloc[:, 1], check_names=False)


def test_the_scorecard_leaves_2013s_missing_weak_linked_out_instead_of_scoring_it_0(sample_engine):
    settings = load_settings()
    county = queries.indicator_values(sample_engine, level="county")
    card = scorecard(county, settings)
    card = card[card["period"] == "2013"].set_index("area_code")
    assert len(card) == 7 and card["weak_linked_pct"].isna().all()
    table = {i.id: i for i in indicators()}
    values = county[county["period"] == "2013"].pivot(index="area_code", columns="indicator", values="value")
    for code, row in card.iterrows():
        achieved = {i: min(values.loc[code, i] / table[i].target, 1.0) for i in settings.weights
                    if pd.notna(values.loc[code, i])}
        assert "weak_linked_pct" not in achieved
        expected = 100 * sum(settings.weights[i] * a for i, a in achieved.items()) / sum(
            settings.weights[i] for i in achieved)
        scored_zero = 100 * sum(settings.weights[i] * a for i, a in achieved.items()) / (
            sum(settings.weights[i] for i in achieved) + settings.weights["weak_linked_pct"])
        assert row["score"] == pytest.approx(expected, abs=0.01) and row["score"] > scored_zero + 0.5


# The leaders page over the sample: 2013 has no leader sheet, 2014 is the first period with links.

@pytest.fixture(scope="module")
def app(sample_db_url):
    from dashboard.app import create_app
    return create_app(sample_db_url, basis="current", secret_key="leaders")


def _layout(app, **query):
    from dashboard.pages import leaders
    with app.server.test_request_context("/"):
        return leaders.layout(**query)


def _text(component) -> str:
    return json.dumps(component.to_plotly_json(), ensure_ascii=False,
                      default=lambda o: o.to_plotly_json() if hasattr(o, "to_plotly_json") else str(o))


def _find(component, component_id):
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            found = _find(child, component_id)
            if found is not None:
                return found
    return None


def test_a_period_without_a_leader_sheet_shows_no_leader_data_instead_of_zeros(app):
    zh, en = _text(_layout(app, period="2013")), _text(_layout(app, period="2013", lang="en"))
    assert "本期报表未附领导包联表，无包联数据" in zh
    assert "The returns of this period have no leader sheet: no leader data" in en
    for shown in (zh, en):
        assert "error-state" not in shown and ids.LEADER_CHART not in shown and ids.LEADER_GRID not in shown
        assert "weak-unlinked" not in shown                   # not all 80 weak communities as "without a leader"


def test_the_leaders_baseline_is_the_first_period_with_links(app, sample_engine):
    src = data.source_for(sample_engine)
    assert [data.leader_baseline(src, p) for p in ("2013", "2014", "2015")] == [None, "2014", "2014"]
    shown = _text(_layout(app, period="2015"))
    assert "基期（2014年）达标" in shown and "leader-baseline-note" in shown and "no-leader-data" not in shown
    assert "Met at baseline (2014)" in _text(_layout(app, period="2015", lang="en"))


def test_the_leaders_chart_counts_distinct_communities_not_links(app, sample_engine):
    chart = _find(_layout(app, period="2015"), ids.LEADER_CHART).figure
    links = queries.link_rows(sample_engine, periods=["2015"])
    rows = {p: queries.community_rows(sample_engine, periods=[p]).set_index("community_code") for p in ("2014", "2015")}
    need = {p: r["community_kind"].map({"城市社区": 500.0}).fillna(300.0) for p, r in rows.items()}
    meeting = {p: set(r.index[r["service_area_m2"].astype(float) >= need[p]]) for p, r in rows.items()}
    expected = {"linked": [], "2014": [], "2015": []}
    for level in ("厅级", "县级"):
        codes = set(links.loc[links["leader_level"] == level, "community_code"])
        expected["linked"].append(len(codes))
        expected["2014"].append(len(codes & meeting["2014"]))
        expected["2015"].append(len(codes & meeting["2015"]))
    assert expected["linked"] == [65, 143]                   # 71 and 309 links
    assert [bar["y"] for bar in chart["data"]] == [expected["linked"], expected["2014"], expected["2015"]]
    assert chart["data"][0]["customdata"] == ["包联关系数：71", "包联关系数：309"]


def test_a_county_without_a_leader_sheet_is_named_and_left_out_of_the_unlinked(tmp_path):
    from dashboard.app import create_app
    url = f"sqlite:///{tmp_path / 'partial.db'}"
    engine = make_engine(url)
    init_db(engine)
    c = communities("450902")
    assert ingest_path(engine, _return(tmp_path / "a.xlsx", "450981", "北流市", None)).status == "loaded"
    assert ingest_path(engine, _return(tmp_path / "b.xlsx", "450902", "玉州区",
                                       [["李明", "县级", "区长", c[0].code, c[0].name]])).status == "loaded"
    page = _layout(create_app(url, basis="current", secret_key="partial"), period="2015")
    assert "北流市" in _text(_find(page, "no-leader-sheet-counties"))
    unlinked = _text(_find(page, "weak-unlinked"))
    assert c[1].name in unlinked and c[2].name in unlinked     # 玉州区's weak communities nobody links
    assert not any(x.name in unlinked for x in communities("450981"))   # 北流市's: unknown, not "unlinked"
    engine.dispose()
