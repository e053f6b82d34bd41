"""Every page in a real headless Chromium over the sample data: loads clean, shows the article's figures, switches
period and language, draws the map, opens a community's history, and fetches nothing from outside."""
from __future__ import annotations

import pytest
from dash.testing.wait import until
from selenium.webdriver.common.by import By

from .conftest import non_local_requests, screenshot, visit, wait_idle

PAGES = ["/", "/scorecard", "/counties", "/communities", "/leaders", "/reporting"]
NAV_EN = {"nav-overview": "Overview", "nav-scorecard": "Scorecard", "nav-counties": "Counties",
          "nav-communities": "Communities", "nav-leaders": "Leaders", "nav-reporting": "Reporting"}
NAV_ZH = {"nav-overview": "总览", "nav-scorecard": "考核", "nav-counties": "县市区",
          "nav-communities": "社区", "nav-leaders": "包联", "nav-reporting": "报送"}


def kpi(dash_duo, indicator: str) -> str:
    return dash_duo.find_element(f"#kpi-{indicator} .kpi-value").text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_loads_clean_with_no_outside_request(dash, lang):
    for path in PAGES:
        visit(dash, f"{path}?lang={lang}&period=2015")
        name = path.strip("/") or "overview"
        assert dash.get_logs() == [], (path, dash.get_logs())
        labels = NAV_EN if lang == "en" else NAV_ZH
        assert {k: dash.find_element(f"#{k}").text for k in labels} == labels
        assert "Traceback" not in dash.driver.page_source
        assert non_local_requests(dash) == [], path
        screenshot(dash, f"{name}_{lang}")


def test_a_page_is_drawn_once_and_its_address_left_as_typed(dash):
    # The page's controls arrive together with it; they used to write their values into the address, which drew
    # the whole page a second time.
    for path in ("/", "/counties", "/scorecard"):
        visit(dash, path)
        wait_idle(dash)
        assert dash.driver.execute_script("return location.pathname + location.search") == path
        routing = dash.driver.execute_script(
            "return performance.getEntriesByType('resource').filter(r => r.name.includes('_dash-update-component'))"
            ".map(r => r.transferSize || r.encodedBodySize)")
        # one big answer (the page); the address callback's answers, if any, are tiny
        assert sum(size > 5000 for size in routing) == 1, routing


def test_overview_shows_2015_then_2013_figures(dash):
    visit(dash, "/", "#kpi-area_ge_500")
    assert kpi(dash, "area_ge_500") == "127个"
    assert kpi(dash, "area_ge_1000") == "50个"
    assert kpi(dash, "services_mean") == "59项"
    assert kpi(dash, "grid_coverage_pct") == "100%"
    assert kpi(dash, "weak_linked_pct") == "100%"
    assert "20 → 127 (×6.4)" in dash.find_element("#kpi-area_ge_500").text
    dash.select_dcc_dropdown(".period-select", "2013年")
    until(lambda: "period=2013" in dash.driver.current_url, 10)
    dash.wait_for_text_to_equal("#kpi-area_ge_500 .kpi-value", "20个", timeout=15)
    assert kpi(dash, "area_ge_1000") == "6个"
    assert kpi(dash, "services_mean") == "12项"
    assert dash.get_logs() == []
    screenshot(dash, "overview_2013_zh")


def test_language_toggle_switches_labels_and_is_remembered(dash):
    visit(dash, "/scorecard?period=2015")
    assert dash.find_element(".brand-title").text == "玉林市社区标准化建设监测"
    dash.find_element("#lang-toggle").click()
    dash.wait_for_text_to_equal(".brand-title", "Yulin Community Standardisation Monitor", timeout=15)
    until(lambda: "lang=en" in dash.driver.current_url, 10)
    assert dash.find_element("#nav-overview").text == "Overview"
    assert "Yuzhou District" in dash.find_element("#scorecard-table").text
    wait_idle(dash)
    visit(dash, "/")        # no lang in the address: the cookie keeps English
    dash.wait_for_text_to_equal(".brand-title", "Yulin Community Standardisation Monitor", timeout=15)
    assert dash.find_element("#kpi-area_ge_500 .kpi-value").text == "127"
    dash.find_element("#lang-toggle").click()
    dash.wait_for_text_to_equal(".brand-title", "玉林市社区标准化建设监测", timeout=15)
    assert dash.get_logs() == []


def test_map_draws_the_seven_counties(dash):
    visit(dash, "/?indicator=area_ge_500", "#overview-map .js-plotly-plot")
    until(lambda: dash.driver.execute_script(
        "return document.querySelectorAll('#overview-map path.choroplethlocation').length") == 7, 15)
    trace = dash.driver.execute_script(
        "const gd = document.querySelector('#overview-map .js-plotly-plot');"
        "const t = gd._fullData[0]; return {type: t.type, locations: Array.from(t.locations), z: Array.from(t.z)};")
    assert trace["type"] == "choropleth"
    assert sorted(trace["locations"]) == ["450902", "450903", "450921", "450922", "450923", "450924", "450981"]
    assert sum(trace["z"]) == 127
    assert non_local_requests(dash) == []


def test_community_click_shows_history_and_lineage(dash):
    visit(dash, "/communities?county=450902&period=2015", "#community-grid .ag-row")
    assert "共" in dash.find_element("#community-count").text
    dash.driver.find_elements(By.CSS_SELECTOR, "#community-grid .ag-center-cols-container .ag-row .ag-cell")[1].click()
    dash.wait_for_element("#community-history .history-table", timeout=15)
    history = dash.find_element("#community-history").text
    for period in ("2013年", "2014年", "2015年"):
        assert period in history
    assert ".xlsx" in history and "社区基本情况" in history
    until(lambda: "community=4509" in dash.driver.current_url, 10)
    code = dash.driver.current_url.split("community=")[1][:12]
    assert dash.get_logs() == []
    screenshot(dash, "communities_history_zh")
    visit(dash, f"/communities?community={code}&lang=en", "#community-history .history-table")
    assert "Lineage" in dash.find_element("#community-history").text


def loaded_rows(dash) -> list[dict]:
    """The rows the grid holds now (its loaded blocks), in display order, read through the grid's API."""
    return dash.driver.execute_script(
        "const api = window.dash_ag_grid && window.dash_ag_grid.getApi('community-grid'); const rows = [];"
        "if (api) api.forEachNode(n => { if (n.data) rows.push(n.data); }); return rows;")


def test_community_search_and_sort_are_answered_by_the_server(dash):
    visit(dash, "/communities?period=2015", "#community-grid .ag-row")
    assert dash.find_element("#community-count").text == "共 184 行"
    search = dash.find_element(".search-input input")
    search.send_keys("450981\n")
    until(lambda: "q=450981" in dash.driver.current_url, 10)

    def narrowed():
        # The page is drawn anew with its count, then its grid asks for its first block: wait for both.
        rows = loaded_rows(dash)
        return bool(rows) and all(r["community_code"].startswith("450981") for r in rows) and \
            dash.find_element("#community-count").text == f"共 {len(rows)} 行"
    until(narrowed, 15)
    wait_idle(dash)
    dash.find_element("#community-grid .ag-header-cell[col-id=service_area_m2] .ag-header-cell-label").click()
    wait_idle(dash)

    def ascending():
        areas = [r["service_area_m2"] for r in loaded_rows(dash) if r["service_area_m2"] is not None]
        return len(areas) > 1 and areas == sorted(areas) and areas[0] < areas[-1]
    until(ascending, 15)
    assert dash.get_logs() == []


def test_phone_layout_and_print_stylesheet(dash):
    dash.driver.set_window_size(390, 844)
    visit(dash, "/", "#kpi-area_ge_500")
    width = dash.driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 400, width
    screenshot(dash, "overview_phone_zh")
    visit(dash, "/scorecard")
    screenshot(dash, "scorecard_phone_zh")
    dash.driver.set_window_size(1280, 1000)
    rules = dash.driver.execute_script(
        "return Array.from(document.styleSheets).flatMap(s => { try { return Array.from(s.cssRules) } "
        "catch (e) { return [] } }).filter(r => r.media && r.media.mediaText === 'print').length")
    assert rules >= 1


def test_invalid_parameters_fall_back_to_the_default_view(dash):
    visit(dash, "/counties?county=999999&period=1999&lang=xx", "#county-histogram")
    assert "玉州区" in dash.find_element(".page-title").text and "2015年" in dash.find_element(".page-title").text
    visit(dash, "/scorecard?sort=nonsense", "#scorecard-table")
    assert dash.get_logs() == []
