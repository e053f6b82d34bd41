"""Data-quality flags over the real sample: none on its ordinary values, and a planted error found, with the value of
the previous period beside it — in dashboard/quality.py and on the reporting page."""
from __future__ import annotations

import shutil
import sys
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from dash import dcc, html
from sqlalchemy import select, update

from dashboard import data, ids
from dashboard.app import create_app
from dashboard.quality import quality_flags
from etl.store.db import community_return, make_engine, submission
from etl.read.schema import KIND_TOWNSHIP, KIND_URBAN


@pytest.fixture(scope="module")
def src(sample_engine):
    return data.source_for(sample_engine)


def period_rows(src, period):
    """The rows the reporting page judges for `period`, and those of the period before (None for the first)."""
    previous = data.previous_period(src, period)
    return data.community_rows(src, period), data.community_rows(src, previous) if previous else None


def typical(rows, county: str, kind: str):
    """The community with the median service area among the county's communities of the kind."""
    group = rows[(rows["county_code"] == county) & (rows["community_kind"] == kind)]
    return group.sort_values(["service_area_m2", "community_code"]).iloc[len(group) // 2]


def plant(rows, code: str, **values) -> None:
    for fld, value in values.items():
        rows.loc[rows["community_code"] == code, fld] = value


def found(flags) -> list[tuple]:
    return [(f.community_code, f.flag, f.field, f.detail) for f in flags.itertuples()]


@pytest.mark.parametrize("period", ["2013", "2014", "2015"])
def test_the_samples_ordinary_values_raise_no_flag(src, period):
    # The sample holds no error: its areas run from 60 to 2,400 m² within one county and kind (the old robust z on
    # raw values flagged 11, 8 and 15 of them, 900 m² among them), and they never fall.
    assert data.previous_period(src, period) == {"2013": None, "2014": "2013", "2015": "2014"}[period]
    flags = data.flags(src, period)
    assert flags.empty, flags[["community_name", "flag", "field", "value", "previous", "detail"]].to_string()


@pytest.mark.parametrize("period", ["2014", "2015"])
def test_a_tenfold_area_is_flagged_high_with_its_previous_value(src, period):
    rows, before = period_rows(src, period)
    slipped = typical(rows, "450923", KIND_TOWNSHIP)
    plant(rows, slipped.community_code, service_area_m2=10 * slipped.service_area_m2)
    flags = quality_flags(rows, before)
    assert found(flags) == [(slipped.community_code, "outlier", "service_area_m2", "high")]
    was = before.set_index("community_code").loc[slipped.community_code, "service_area_m2"]
    flag = flags.iloc[0]
    assert flag.value == 10 * slipped.service_area_m2 and flag.previous == was and flag.peers == "county"
    assert flag.value > 5 * flag.reference         # the county's upper quartile of township premises


def test_a_tenth_of_the_area_is_flagged_low_in_a_first_period(src):
    rows, before = period_rows(src, "2013")
    slipped = typical(rows, "450923", KIND_TOWNSHIP)
    plant(rows, slipped.community_code, service_area_m2=slipped.service_area_m2 / 10)
    flags = quality_flags(rows, before)
    assert found(flags) == [(slipped.community_code, "outlier", "service_area_m2", "low")]
    assert np.isnan(flags.iloc[0].previous)        # 2013 is the first period: nothing to show beside it


def test_a_county_with_few_communities_of_a_kind_is_judged_against_all_counties(src):
    rows, before = period_rows(src, "2015")
    urban = rows[(rows["county_code"] == "450981") & (rows["community_kind"] == KIND_URBAN)]
    rows = rows.drop(urban.index[3:])               # three urban communities left: too few for quartiles
    # All counties' urban communities spread more widely than one county's: a tenfold error stands out when the
    # value was large already (2,353 m² of 746, 781 and 2,353 here).
    slipped = urban.iloc[:3].sort_values("service_area_m2").iloc[-1]
    plant(rows, slipped.community_code, service_area_m2=10 * slipped.service_area_m2)
    flags = quality_flags(rows, before)
    assert found(flags) == [(slipped.community_code, "outlier", "service_area_m2", "high")]
    assert flags.iloc[0].peers == "kind"


def test_a_fall_from_1200_to_120_is_flagged_with_the_previous_value(src):
    rows, before = period_rows(src, "2015")
    shrunk = typical(rows, "450902", KIND_URBAN).community_code
    plant(before, shrunk, service_area_m2=1200)
    plant(rows, shrunk, service_area_m2=120)
    flags = quality_flags(rows, before)
    assert found(flags) == [(shrunk, "fell", "service_area_m2", ""), (shrunk, "outlier", "service_area_m2", "low"),
                            (shrunk, "threshold", "service_area_m2", "")]
    assert flags["previous"].tolist() == [1200, 1200, 1200] and flags["value"].tolist() == [120, 120, 120]
    assert flags.set_index("flag").loc["threshold", "reference"] == 1000      # the highest standard it fell below


@pytest.mark.parametrize("fld, was, now, expected", [
    ("service_area_m2", 1200, 1190, []),             # under 1%: re-measured or rounded, not a room lost
    ("service_area_m2", 1200, 1180, ["fell"]),
    ("service_area_m2", 1005, 998, ["threshold"]),   # a small fall, but below the 1,000 m² standard
    ("service_items", 59, 58, ["fell"]),             # a count falls by more than 1% with each item lost
    ("facilities", 11, 10, ["fell"]),
])
def test_small_falls_are_rounding_unless_a_count_or_a_standard_is_lost(src, fld, was, now, expected):
    rows, before = period_rows(src, "2015")
    code = typical(rows, "450902", KIND_URBAN).community_code
    plant(before, code, **{fld: was})
    plant(rows, code, **{fld: now})
    assert quality_flags(rows, before)["flag"].tolist() == expected


# The reporting page over a copy of the sample database with two errors planted in its 2015 returns.

@pytest.fixture(scope="module")
def planted(src, sample_db_url, tmp_path_factory) -> dict:
    """The app over the copy; the name, 2015 area and 2014 area of the community given a tenfold area in 2015; the
    name of the one whose area fell from 1,200 m² in 2014 to 120 m² in 2015."""
    copy = tmp_path_factory.mktemp("planted") / "planted.db"
    shutil.copy(sample_db_url.removeprefix("sqlite:///"), copy)
    rows, before = period_rows(src, "2015")
    slipped, shrunk = typical(rows, "450923", KIND_TOWNSHIP), typical(rows, "450902", KIND_URBAN)
    engine = make_engine(f"sqlite:///{copy}")
    with engine.begin() as conn:
        for period, code, area in [("2015", slipped.community_code, 10 * slipped.service_area_m2),
                                   ("2014", shrunk.community_code, 1200), ("2015", shrunk.community_code, 120)]:
            returns = select(submission.c.id).where(submission.c.period == period)
            changed = conn.execute(update(community_return).values(service_area_m2=area).where(
                community_return.c.community_code == code, community_return.c.submission_id.in_(returns)))
            assert changed.rowcount == 1
    engine.dispose()
    app = create_app(f"sqlite:///{copy}", basis="current", secret_key="flags",
                     cache_dir=tmp_path_factory.mktemp("planted-cache"))
    return {"app": app, "slipped": slipped.community_name, "area": 10 * slipped.service_area_m2,
            "was": before.set_index("community_code").loc[slipped.community_code, "service_area_m2"],
            "shrunk": shrunk.community_name}


def reporting(app, **query):
    with app.server.test_request_context("/"):
        return sys.modules["dashboard.pages.reporting"].layout(**query)


def walk(component):
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if hasattr(child, "children"):          # a component, not a string
            yield from walk(child)


def flag_rows(app, **query) -> list[list[str]]:
    """The reporting page's flags table, each row as its cells' text."""
    box = next(c for c in walk(reporting(app, **query)) if getattr(c, "id", None) == ids.REPORTING_FLAGS)
    return [[str(td.children) for td in tr.children] for tr in walk(box)
            if isinstance(tr, html.Tr) and isinstance(tr.children[0], html.Td)]


def test_the_flags_table_shows_each_flag_with_the_previous_value(planted):
    # Columns: county, community, flag, field, value, previous (上期), lineage.
    zh = flag_rows(planted["app"], period="2015")
    assert [(r[1], r[2].split("：")[0]) for r in zh] == [
        (planted["shrunk"], "较上期下降90%"), (planted["shrunk"], "偏低"),
        (planted["shrunk"], "面积回落至1,000平方米标准线以下"), (planted["slipped"], "偏高")]
    assert all(r[4:6] == ["120", "1,200"] for r in zh[:3])
    assert zh[3][3:6] == ["服务用房面积（平方米）", f"{planted['area']:,.0f}", f"{planted['was']:,.0f}"]
    assert zh[1][2].startswith("偏低：同县同类社区下四分位（") and zh[1][2].endswith("倍")
    assert zh[3][2].startswith("偏高：为同县同类社区上四分位（") and "平方米）的" in zh[3][2]

    en = flag_rows(planted["app"], period="2015", lang="en")
    assert en[0][2] == "Fell 90% since the previous period"
    assert en[2][2] == "Area fell back below the 1,000 m² standard"
    assert en[1][2].startswith("Low: the lower quartile (") and "m²) of the county's communities of this kind is" \
        in en[1][2]
    assert en[3][2].startswith("High: ") and "times the upper quartile (" in en[3][2]
    assert [r[4:6] for r in en] == [r[4:6] for r in zh]


def test_the_flags_table_pages_and_each_list_keeps_the_others_page(planted, monkeypatch):
    monkeypatch.setattr(sys.modules["dashboard.pages.reporting"], "PAGE_ROWS", 2)
    shown = reporting(planted["app"], period="2015", lang="en", page="4", flags_page="2")
    pagers = {c.id: c for c in walk(shown) if getattr(c, "id", None) in ("reporting-matrix-pager",
                                                                          "reporting-flags-pager")}
    texts = {pager: " ".join(str(c.children) for c in walk(nav) if isinstance(c, html.Span))
             for pager, nav in pagers.items()}
    assert texts["reporting-matrix-pager"].startswith("Rows 7–7 of 7")          # the seventh county alone
    assert texts["reporting-flags-pager"].startswith("Rows 3–4 of 4")
    links = {pager: [parse_qs(urlsplit(c.href).query) for c in walk(nav) if isinstance(c, dcc.Link)]
             for pager, nav in pagers.items()}
    assert links["reporting-matrix-pager"] and all(q["flags_page"] == ["2"] for q in links["reporting-matrix-pager"])
    assert links["reporting-flags-pager"] and all(q["page"] == ["4"] for q in links["reporting-flags-pager"])
    assert [r[1] for r in flag_rows(planted["app"], period="2015", lang="en", flags_page="2")] == \
        [planted["shrunk"], planted["slipped"]]


def test_a_count_above_peers_who_all_report_zero_says_so(src, planted):   # the app imports the pages
    rows, before = period_rows(src, "2013")
    township = rows[(rows["county_code"] == "450923") & (rows["community_kind"] == KIND_TOWNSHIP)]
    rows.loc[township.index, "trained"] = 0
    rows.loc[township.index[0], "trained"] = 40
    flags = quality_flags(rows, before)
    assert found(flags) == [(township.iloc[0].community_code, "outlier", "trained", "high")]
    # No ratio to a quartile of 0: the page says what the peers reported instead.
    flag_text = sys.modules["dashboard.pages.reporting"].flag_text
    assert flag_text(flags.iloc[0], "zh") == "偏高：同县同类社区四分之三以上为0"
    assert flag_text(flags.iloc[0], "en") == \
        "High: at least three quarters of the county's communities of this kind report 0"
