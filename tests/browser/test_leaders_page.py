"""The leaders page in a real browser: a period without a leader sheet says so instead of drawing zeros; a period
with links counts distinct communities and names the baseline it compares them with."""
from __future__ import annotations

from .conftest import screenshot, visit


def test_2013_without_a_leader_sheet_shows_no_leader_data(dash):
    visit(dash, "/leaders?period=2013", "#no-leader-data")
    assert dash.find_element("#no-leader-data").text == "本期报表未附领导包联表，无包联数据"
    assert not dash.driver.find_elements("css selector", "#leader-chart, #leader-grid, #weak-unlinked")
    assert dash.get_logs() == []
    screenshot(dash, "leaders_2013_zh")


def test_2015_counts_distinct_communities_against_the_2014_baseline(dash):
    visit(dash, "/leaders?period=2015&lang=en", "#leader-chart .main-svg")
    legend = dash.find_element("#leader-chart .legend").text
    assert "Met at baseline (2014)" in legend and "Communities linked" in legend
    bars = dash.find_element("#leader-chart .barlayer").text.split()
    assert bars[:2] == ["65", "143"]                       # distinct communities, not the 71 and 309 links
    assert "2014" in dash.find_element("#leader-baseline-note").text
    assert dash.get_logs() == []
    screenshot(dash, "leaders_2015_en")
