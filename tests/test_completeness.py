"""A period's completeness on a real database: which counties count on each basis, the period pages open on, and
the city figures of an incomplete period compared with nothing."""
from __future__ import annotations

import math

from dashboard import data
from etl.store.completeness import default_period, period_states, previous_complete
from etl.ingest import ingest_path
from etl.store.load import set_status
from etl.store.queries import submissions


def load(engine, paths):
    for path in paths:
        assert ingest_path(engine, path).status == "loaded"


def test_one_countys_return_leaves_its_period_incomplete(engine, sample_paths):
    load(engine, [p for p in sample_paths if not p.name.startswith("2015")])
    load(engine, [p for p in sample_paths if p.name.startswith("2015_450981")])
    states = period_states(engine, "current")
    assert [(s.period, len(s.reported), s.state) for s in states] == [
        ("2013", 7, "complete"), ("2014", 7, "complete"), ("2015", 1, "incomplete")]
    assert states[2].missing == ("450902", "450903", "450921", "450922", "450923", "450924")
    assert default_period(states) == "2014"
    assert previous_complete(states) == {"2014": "2013", "2015": "2014"}

    # On the approved basis nothing counts until it is approved; approving 北流市's 2015 alone leaves 2015 at 1/7.
    assert period_states(engine, "approved") == []
    [sid] = submissions(engine, "450981", "2015")["id"]
    set_status(engine, int(sid), "approved")
    assert [(s.period, len(s.reported)) for s in period_states(engine, "approved")] == [("2015", 1)]


def test_an_incomplete_periods_city_figures_are_compared_with_nothing(engine, sample_paths):
    load(engine, [p for p in sample_paths if not p.name.startswith("2015")])
    load(engine, [p for p in sample_paths if p.name.startswith("2015_450981")])
    src = data.source_for(engine, "current")
    assert data.resolve_period(src, None) == "2014" and data.resolve_period(src, "2015") == "2015"
    city = data.city_values(src, "2015").set_index("indicator")
    assert city.loc["communities", "value"] == 34          # 北流市's communities, not the city's 184
    assert math.isnan(city.loc["area_ge_500", "change_previous"])
    assert math.isnan(city.loc["area_ge_500", "change_baseline"])
    complete = data.city_values(src, "2014").set_index("indicator")
    assert complete.loc["area_ge_500", "previous_period"] == "2013"
    assert complete.loc["area_ge_500", "baseline_period"] == "2013"
    # The county that reported is compared with its own past as usual.
    county = data.values(src, "county", "2015", area="450981").set_index("indicator")
    assert county.loc["area_ge_500", "previous_period"] == "2014"
    assert not math.isnan(county.loc["area_ge_500", "change_previous"])
    # The scorecard ranks it alone, with no change of rank.
    card = data.scorecard(src, "2015")
    assert list(card["area_code"]) == ["450981"] and card["rank_change"].isna().all()


def test_the_reporting_matrix_ends_with_each_periods_completeness(engine, sample_paths, tmp_path):
    import json
    import sys

    from dashboard.app import create_app
    load(engine, [p for p in sample_paths if not p.name.startswith("2015")])
    load(engine, [p for p in sample_paths if p.name.startswith("2015_450981")])
    app = create_app(str(engine.url.render_as_string(hide_password=False)), basis="current", secret_key="k",
                     cache_dir=tmp_path / "cache")
    with app.server.test_request_context("/"):
        shown = json.dumps(sys.modules["dashboard.pages.reporting"].layout(period="2015", lang="en").to_plotly_json(),
                           ensure_ascii=False, default=lambda o: o.to_plotly_json())
    assert "Returns counted" in shown
    assert "✓ 7/7 complete" in shown and "! 1/7 incomplete" in shown
