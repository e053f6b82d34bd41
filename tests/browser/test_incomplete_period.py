"""Issue 12's scenario in a real Chromium: the sample approved, then one county's return for a new year approved.
One county's figures must not pass for the city: the pages still open on 2015, the new year says 已报送 1/7 and
names the missing counties, its city point stays off the city's line, and its scorecard ranks one county."""
from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

from .conftest import SCREENSHOTS, login, screenshot, start, visit

ROOT = Path(__file__).resolve().parents[2]
NEW_YEAR = "2016"


def return_for_a_new_year(tmp_path: Path) -> Path:
    """北流市's 2015 sample return, re-dated 2016 in its title blocks, as a clerk reuses last year's workbook."""
    book = openpyxl.load_workbook(ROOT / "sample_data" / "2015_450981_北流市.xlsx")
    for sheet in book.worksheets:
        for row in sheet.iter_rows(max_row=4):
            for cell in row:
                if isinstance(cell.value, str) and "2015" in cell.value:
                    cell.value = cell.value.replace("2015", NEW_YEAR)
    path = tmp_path / f"{NEW_YEAR}_450981_北流市.xlsx"
    book.save(path)
    return path


@pytest.fixture(scope="module")
def one_county_later_url(approved_db_url, tmp_path_factory) -> str:
    from etl.store.db import make_engine
    from etl.ingest import ingest_path
    from etl.store.load import set_status
    folder = tmp_path_factory.mktemp("one-county-later")
    target = folder / "later.db"
    shutil.copy(approved_db_url.removeprefix("sqlite:///"), target)
    url = f"sqlite:///{target}"
    engine = make_engine(url)
    outcome = ingest_path(engine, return_for_a_new_year(folder), uploaded_by="analyst")
    assert outcome.status == "loaded" and outcome.period == NEW_YEAR, outcome
    set_status(engine, outcome.load.submission_id, "approved")
    engine.dispose()
    return url


@pytest.fixture
def later(dash_duo, one_county_later_url, tmp_path):
    from dashboard.app import create_app
    start(dash_duo, create_app(one_county_later_url, secret_key="incomplete", cache_dir=tmp_path / "cache"))
    login(dash_duo, "admin")
    return dash_duo


def figures_on_page(dash_duo, at_least: int = 1) -> list[dict]:
    """Every Plotly chart's traces as drawn: name, mode and x values (once `at_least` charts are drawn)."""
    from dash.testing.wait import until
    until(lambda: dash_duo.driver.execute_script(
        "return [...document.querySelectorAll('.js-plotly-plot')].filter(g => g.data).length") >= at_least, 20)
    return dash_duo.driver.execute_script(
        "return [...document.querySelectorAll('.js-plotly-plot')].map(g => ({title: (g.layout.title || {}).text,"
        " xaxis: g.layout.xaxis, traces: g.data.map(d => ({name: d.name, mode: d.mode, x: d.x, y: d.y}))}))")


def test_one_countys_new_year_never_passes_for_the_city(later):
    # The overview still opens on 2015, the latest complete year, with the article's figures.
    visit(later, "/", "#kpi-area_ge_500")
    assert later.find_element("#kpi-area_ge_500 .kpi-value").text == "127个"
    assert later.find_element("#kpi-area_ge_1000 .kpi-value").text == "50个"
    assert not later.driver.find_elements("css selector", "#period-banner")
    assert "2015年" in later.find_element(".page-title").text

    # The new year, chosen: the banner says 1/7 and names what is missing; the cards claim nothing.
    visit(later, f"/?period={NEW_YEAR}", "#period-banner")
    banner = later.find_element("#period-banner").text
    assert "已报送 1/7 个县（市、区）" in banner and "玉州区" in banner and "北流市" not in banner
    card = later.find_element("#kpi-area_ge_500").text
    assert "不完整 1/7" in card and "达标" not in card and "−" not in card
    assert later.find_element("#kpi-area_ge_500 .kpi-previous").text.endswith("—")

    # Trends: the city's line stops at 2015; 2016's part-of-the-city point stands apart, on a time axis.
    trends = [f for f in figures_on_page(later, at_least=6) if f["xaxis"].get("tickmode") == "array"]
    assert len(trends) >= 4
    for fig in trends:
        city_line = [t for t in fig["traces"] if t["name"] == "全市"]
        assert city_line and all(max(t["x"]) < 2016 for t in city_line), fig["title"]
        apart = [t for t in fig["traces"] if t["name"].startswith("不完整")]
        assert apart and apart[0]["x"] == [2016] and apart[0]["mode"] == "markers", fig["title"]
        assert fig["xaxis"]["tickvals"] == [2013, 2014, 2015, 2016]
    screenshot(later, "incomplete_overview_zh")

    # The scorecard ranks the one county that reported, says so, and shows no change of rank.
    visit(later, f"/scorecard?period={NEW_YEAR}", "#scorecard-incomplete")
    rows = later.driver.find_elements("css selector", "tr[id^=score-row-]")
    assert [r.get_attribute("id") for r in rows] == ["score-row-450981"]
    assert "1/7" in later.find_element("#scorecard-incomplete").text
    assert "▲" not in rows[0].text and "▼" not in rows[0].text
    screenshot(later, "incomplete_scorecard_zh")

    # The same in English, and on a phone.
    visit(later, f"/?period={NEW_YEAR}&lang=en", "#period-banner")
    assert "1 of 7 counties reported" in later.find_element("#period-banner").text
    assert "Yuzhou District" in later.find_element("#period-banner").text
    screenshot(later, "incomplete_overview_en")
    later.driver.set_window_size(390, 900)
    for lang in ("en", "zh"):
        visit(later, f"/?period={NEW_YEAR}&lang={lang}", "#period-banner")
        assert not overflowing(later), lang
        screenshot(later, f"incomplete_overview_{lang}_390")
    assert (SCREENSHOTS / "incomplete_overview_zh_390.png").exists()


def overflowing(dash_duo) -> list[str]:
    """The elements that reach past a phone's screen (the navigation scrolls inside its own box)."""
    if dash_duo.driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"):
        return []
    return dash_duo.driver.execute_script(
        "return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > "
        "window.innerWidth + 1 && !e.closest('.app-nav')).map(e => e.tagName + '.' + e.className + ' ' + "
        "Math.round(e.getBoundingClientRect().right)).slice(0, 8)") or ["the page"]
