"""The indicator table and the scorecard as data: definitions, blanks as unknown, weights from the city's file."""
from __future__ import annotations

import pandas as pd
import pytest

from etl.config import indicator_map, indicators, load_settings
from etl.compute.indicators import community_terms, compute, return_terms
from etl.compute.scorecard import meets, scorecard, standing

from shared import SPEC  # noqa: E402


def frame(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {"period": ["2015"] * n, "county_code": ["450981"] * n,
            "community_code": [f"4509810010{i:02d}" for i in range(n)], "community_kind": ["城市社区"] * n}
    fields = ["service_area_m2", "service_items", "facilities", "grid_managed", "grid_count", "party_org_standard",
              "unified_site", "unified_function", "unified_sign", "fund_fiscal", "fund_party_fee", "fund_donation",
              "staff", "trained", "weak"]
    return pd.DataFrame({**base, **{f: [None] * n for f in fields}, **columns})


NO_LINKS = pd.DataFrame(columns=["period", "county_code", "leader_name", "leader_level", "community_code"])


def values(rows, links=NO_LINKS, level="city"):
    out = compute(rows, links, ["450981"])
    return out[out["level"] == level].set_index("indicator")["value"]


def test_every_indicator_of_the_spec_is_declared_and_documented():
    ids = [i.id for i in indicators()]
    assert len(ids) == len(set(ids)) == 21
    for ind in indicators():
        assert ind.name_zh and ind.name_en and ind.definition_zh and ind.definition_en, ind.id
    with open(SPEC / "indicators.md", encoding="utf-8") as spec:
        text = spec.read()
    assert all(f"| {i} |" in text for i in ids)


def test_a_blank_is_unknown_not_no():
    v = values(frame(service_area_m2=[600, 200, 800], party_org_standard=[True, None, False],
                     grid_managed=[None, None, None]))
    assert v["party_standard_pct"] == 50.0                       # 1 of the 2 that answered
    assert pd.isna(v["grid_coverage_pct"])                        # nobody answered: "—", not 0 %
    assert v["area_ge_500"] == 2 and v["area_mean_m2"] == pytest.approx(1600 / 3)


def test_shares_among_a_kind_and_the_funding_ratio():
    rows = frame(service_area_m2=[600, 250, 350], community_kind=["城市社区", "乡镇社区", "乡镇社区"],
                 fund_fiscal=[8, 2, None], fund_party_fee=[1, 1, None], fund_donation=[1, 0, None])
    v = values(rows)
    assert v["urban_area_ge_500_pct"] == 100 and v["township_area_ge_300_pct"] == 50
    assert v["funding_total"] == 13 and v["funding_fiscal_share_pct"] == pytest.approx(100 * 10 / 13)


def test_leaders_are_counted_once_across_counties_and_their_load_city_wide():
    rows = pd.concat([frame(service_area_m2=[600, 600], weak=[True, True]),
                      frame(service_area_m2=[600, 600], weak=[True, False]).assign(
                          county_code="450902", community_code=["450902001001", "450902001002"])])
    links = pd.DataFrame({"period": "2015", "leader_level": "厅级",
                          "county_code": ["450981", "450981", "450902", "450902", "450902"],
                          "leader_name": ["王伟", "王伟", "王伟", "王伟", "李明"],
                          "community_code": ["450981001000", "450981001001", "450902001001", "450902001002",
                                             "450902001001"]})
    out = compute(rows, links, ["450981", "450902"])
    city = out[out["level"] == "city"].set_index("indicator")["value"]
    assert city["leaders_prefecture"] == 2
    assert city["leader_load_ok_pct"] == 50                      # 王伟 links 4 across two counties; 李明 1
    assert city["weak_linked_pct"] == 100


def test_one_returns_terms_are_the_grouped_terms():
    """A load's terms (return_terms: no period or county columns, no grouping) equal community_terms'."""
    rows = frame(service_area_m2=[600, None, 250, 1200], grid_managed=[True, None, False, True],
                 community_kind=["城市社区", "乡镇社区", "乡镇社区", "城市社区"], weak=[True, True, None, False],
                 fund_fiscal=[8, None, 2, 0], staff=[3, 4, None, 9])
    codes = rows["community_code"].tolist()
    links = pd.DataFrame({"period": "2015", "county_code": "450981", "leader_name": ["王伟", "王伟", "李强", "张敏"],
                          "leader_level": ["厅级", "厅级", "县级", "县级"],
                          "community_code": [codes[0], codes[3], codes[0], "450981999999"]})
    grouped = community_terms(rows, links)
    one = return_terms(rows.drop(columns=["period", "county_code"]), links.drop(columns=["period", "county_code"]),
                       "2015", "450981")
    pd.testing.assert_frame_equal(one, grouped, check_dtype=False)
    assert (grouped["a"] > 0).sum() >= 10           # the example exercises most indicators


def test_scorecard_weights_and_thresholds_come_from_the_citys_file(tmp_path, monkeypatch):
    (tmp_path / "city.toml").write_text("[scorecard]\ngreen = 0.95\n[scorecard.weights]\nservices_mean = 50\n",
                                        encoding="utf-8")
    settings = load_settings(tmp_path / "city.toml")
    assert settings.weights["services_mean"] == 50 and settings.green == 0.95
    assert standing(90, 100, settings) == "low" and standing(90, 100, load_settings()) == "near"
    county = pd.DataFrame({"period": "2015", "area_code": ["A", "A", "B", "B"],
                           "indicator": ["services_mean", "grid_coverage_pct"] * 2, "value": [59, 50, 29.5, 100]})
    card = scorecard(county, settings).set_index("area_code")
    weights = settings.weights
    expected_a = (weights["services_mean"] * 1 + weights["grid_coverage_pct"] * 0.5) / (
        weights["services_mean"] + weights["grid_coverage_pct"]) * 100
    assert card.loc["A", "score"] == pytest.approx(expected_a, abs=0.01)
    assert card.loc["A", "rank"] == 1 and card.loc["B", "rank"] == 2


def test_weights_must_name_indicators_with_targets(tmp_path):
    (tmp_path / "bad.toml").write_text("[scorecard.weights]\ncommunities = 5\n", encoding="utf-8")
    with pytest.raises(ValueError, match="communities"):
        load_settings(tmp_path / "bad.toml")
    assert indicator_map()["communities"].target is None


@pytest.mark.parametrize("value, expected", [(100, "met"), (100.0000000001, "met"), (99.95, "near"), (90, "near"),
                                             (89.9, "low"), (75, "low"), (74.9, "behind"), (0, "behind"),
                                             (None, None), (float("nan"), None)])
def test_only_a_value_that_reaches_its_target_is_met(value, expected):
    """达标 / On target means the target is reached: 94.7 % of a 100 % target is near it, not on it (issue 12)."""
    assert standing(value, 100, load_settings()) == expected
    assert meets(value, 100) == (expected == "met")


def test_a_target_to_stay_under_is_met_at_or_below_it():
    assert standing(10, 10, load_settings(), "down") == "met" and standing(10.5, 10, load_settings(), "down") == "near"
