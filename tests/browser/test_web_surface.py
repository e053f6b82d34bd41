"""The web surface in a real browser: hostile names shown as text, the approved/provisional switch, exports, the
briefing, and a failed callback showing a message — all under the Content-Security-Policy with a clean console."""
from __future__ import annotations

import shutil
import time

import openpyxl
import pytest
from dash.testing.wait import until
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By

from .conftest import downloaded, login, screenshot, start, visit, wait_idle

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(2)>"\'=1+2'


@pytest.fixture(scope="module")
def hostile_app(approved_db_url, tmp_path_factory):
    """The approved sample with one community renamed to markup, quotes and a formula."""
    from sqlalchemy import text
    from dashboard.app import create_app
    from etl.store.db import make_engine
    folder = tmp_path_factory.mktemp("hostile")
    shutil.copy(approved_db_url.removeprefix("sqlite:///"), folder / "h.db")
    url = f"sqlite:///{folder / 'h.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE community_return SET community_name = :n WHERE community_code = '450902001001'"),
                     {"n": HOSTILE})
    engine.dispose()
    return create_app(url, secret_key="surface", cache_dir=folder / "cache")


def no_alert(driver) -> bool:
    try:
        driver.switch_to.alert
    except NoAlertPresentException:
        return True
    return False


def test_a_hostile_community_name_is_shown_as_text(dash_duo, hostile_app):
    start(dash_duo, hostile_app)
    login(dash_duo, "admin")
    visit(dash_duo, "/communities?county=450902&period=2015", "#community-grid .ag-row")
    until(lambda: HOSTILE in dash_duo.find_element("#community-grid").text, 15)
    assert no_alert(dash_duo.driver)
    assert dash_duo.driver.find_elements(By.CSS_SELECTOR, "#community-grid script, #community-grid img") == []
    visit(dash_duo, "/communities?community=450902001001&period=2015", "#community-history .history-table")
    assert HOSTILE in dash_duo.find_element("#community-history").text
    assert no_alert(dash_duo.driver) and dash_duo.get_logs() == []
    screenshot(dash_duo, "hostile_name_zh")


def test_grid_export_downloads_the_filtered_rows_neutralised(dash_duo, hostile_app):
    start(dash_duo, hostile_app)
    login(dash_duo, "admin")
    visit(dash_duo, "/communities?county=450902&period=2015", "#community-grid .ag-row")
    dash_duo.find_element("#communities-export").click()
    text = downloaded(dash_duo, ".csv").read_text(encoding="utf-8-sig")
    lines = text.strip().splitlines()
    shown = dash_duo.find_element("#community-count").text
    assert f"共 {len(lines) - 1} 行" == shown
    assert all("450902" in line for line in lines[1:])
    assert '<script>alert(""x"")</script>' in text            # CSV quoting, but still the text


def test_the_basis_switch_marks_provisional_figures(dash_duo, dashboard_app, sample_db_url):
    start(dash_duo, dashboard_app)
    login(dash_duo, "admin")
    visit(dash_duo, "/", "#kpi-area_ge_500")
    assert dash_duo.find_element(".page-source").text.endswith("已审核")
    dash_duo.find_element(".basis-switch input[value=current]").click()
    until(lambda: "basis=current" in dash_duo.driver.current_url, 10)
    dash_duo.wait_for_contains_text(".page-source", "含未审核（临时）", timeout=15)
    dash_duo.find_element("#nav-scorecard").click()
    until(lambda: "/scorecard" in dash_duo.driver.current_url and "basis=current" in dash_duo.driver.current_url, 10)
    assert dash_duo.get_logs() == []


def test_export_page_and_the_printable_briefing(dash_duo, dashboard_app):
    start(dash_duo, dashboard_app)
    login(dash_duo, "viewer")
    visit(dash_duo, "/export?period=2015", "#export-button")
    dash_duo.find_element("#export-button").click()
    book = openpyxl.load_workbook(downloaded(dash_duo, ".xlsx"))
    assert {"全市", "县（市、区）"} <= set(book.sheetnames)
    visit(dash_duo, "/briefing?period=2015", "#kpi-area_ge_500")
    until(lambda: dash_duo.driver.execute_script(
        "return document.querySelectorAll('#briefing-map path.choroplethlocation').length") == 7, 15)
    assert "score-row-450902" in dash_duo.driver.page_source
    screenshot(dash_duo, "briefing_zh", full_page=False)      # the 下载PDF button and each county's link
    dash_duo.find_element("#briefing-pdf").click()          # the PDF made on the server, through the real route
    assert downloaded(dash_duo, ".pdf", timeout=40).read_bytes().startswith(b"%PDF")
    dash_duo.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    time.sleep(0.3)
    screenshot(dash_duo, "briefing_print_zh", full_page=False)
    assert dash_duo.driver.execute_script("return getComputedStyle(document.querySelector('.app-nav')).display") \
        == "none"
    dash_duo.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert dash_duo.get_logs() == []


def test_a_failed_callback_shows_a_message_not_a_blank_page(dash_duo, dashboard_app, monkeypatch):
    from dashboard import data

    def broken(*_args, **_kwargs):
        raise RuntimeError("internal detail that must not reach the page")
    monkeypatch.setattr(data, "community_history", broken)      # what a click on a row reads
    start(dash_duo, dashboard_app)
    login(dash_duo, "admin")
    visit(dash_duo, "/communities?county=450902&period=2015", "#community-grid .ag-row")
    cells = dash_duo.driver.find_elements(By.CSS_SELECTOR, "#community-grid .ag-center-cols-container .ag-row .ag-cell")
    cells[1].click()
    dash_duo.wait_for_contains_text("#app-error", "操作未完成", timeout=15)
    assert "internal detail" not in dash_duo.driver.page_source and "Traceback" not in dash_duo.driver.page_source
    assert dash_duo.find_element("#community-grid")                      # the page is still there
    wait_idle(dash_duo)


def test_users_of_one_role_share_a_drawing_and_each_sees_their_own_menu(dash_duo, dashboard_app, approved_db_url):
    """The overview is drawn once for viewers (dashboard/response_cache.py); each viewer's name, role in the
    page's language and logout token come from the shell of their own visit."""
    from etl.store.db import make_engine
    from etl.store.users import add_user, get_user
    from dashboard.i18n import t
    from dashboard.response_cache import EXTENSION
    from .conftest import PASSWORD, logout
    engine = make_engine(approved_db_url)
    if get_user(engine, "viewer2") is None:
        add_user(engine, "viewer2", PASSWORD, "viewer")
    engine.dispose()
    answers = dashboard_app.server.extensions[EXTENSION]
    start(dash_duo, dashboard_app)

    def menu(name, role):
        """Until the menu shows name · role (read in the page: a re-render may replace the element meanwhile)."""
        until(lambda: dash_duo.driver.execute_script(
            "const e = document.getElementById('user-name'); return e ? e.innerText : null") == f"{name} · {role}", 20)
        wait_idle(dash_duo)

    login(dash_duo, "viewer")
    menu("viewer", t("role_viewer", "zh"))
    drawn = len(answers._entries)
    logout(dash_duo)
    login(dash_duo, "viewer2")
    menu("viewer2", t("role_viewer", "zh"))
    assert len(answers._entries) == drawn                  # the first viewer's drawing, answered from memory
    dash_duo.find_element("#lang-toggle").click()
    menu("viewer2", t("role_viewer", "en"))
    logout(dash_duo)                                       # the form carried viewer2's own CSRF token
    assert dash_duo.get_logs() == []
