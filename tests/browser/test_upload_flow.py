"""Analysts upload returns in a real browser; the city approves them; who may not, cannot (issue 4)."""
from __future__ import annotations

import re

from pathlib import Path

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from conftest import table_counts
from returns import SheetSpec, standard_rows, write_workbook

from .conftest import add_users, downloaded, login, logout, screenshot, start, visit, wait_idle
from .workbooks import fill_template


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """An empty database (registry only) with the three users, and an app over it."""
    from dashboard.app import create_app
    from etl.store.db import make_engine
    from etl.store.setup import init_db
    folder = tmp_path_factory.mktemp("work")
    url = f"sqlite:///{folder / 'work.db'}"
    engine = make_engine(url)
    init_db(engine)
    add_users(url)
    app = create_app(url, secret_key="upload-tests", cache_dir=folder / "cache")
    yield app, engine
    engine.dispose()


def click(dash_duo, selector: str) -> None:
    """A real click once the page is idle, the element scrolled into view first.

    Bootstrap smooths every scroll (:root {scroll-behavior: smooth}); chromedriver's own scroll into view then
    stops a few pixels down and it clicks where the element was, outside the window ("not clickable at point").
    A person scrolls and then clicks; so does this, with an instant scroll.
    """
    wait_idle(dash_duo)
    element = dash_duo.find_element(selector)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element)
    element.click()


def drop(dash_duo, *paths: Path) -> None:
    """Choose the files in the drop zone's file dialog (several at once, as one drop).

    Once the page is idle (while it renders, the field may be replaced). chromedriver adds to the files chosen
    before; a person's new choice replaces them, so the field is emptied first.
    """
    field = "#upload-files input[type=file]"
    wait_idle(dash_duo)
    dash_duo.driver.execute_script("document.querySelector(arguments[0]).value = ''", field)
    dash_duo.find_element(field).send_keys("\n".join(str(p) for p in paths))


def watch_progress(dash_duo, selector: str) -> None:
    """Record each value the progress bar at `selector` shows, in order (read with progress_seen)."""
    dash_duo.driver.execute_script("""
        const seen = window.progressSeen = [];
        new MutationObserver(() => {
            const bar = document.querySelector(arguments[0]);
            const value = bar && Number(bar.getAttribute('aria-valuenow'));
            if (bar && seen[seen.length - 1] !== value) seen.push(value);
        }).observe(document.body, {subtree: true, childList: true, attributes: true});""", selector)


def progress_seen(dash_duo) -> list[float]:
    return dash_duo.driver.execute_script("return window.progressSeen")


def test_analyst_uploads_admin_approves_overview_shows_it(dash_duo, work, tmp_path):
    app, engine = work
    start(dash_duo, app)
    login(dash_duo, "analyst", next_path="/upload")
    dash_duo.wait_for_element("#upload-template-button", timeout=20)
    assert dash_duo.get_logs() == []
    assert "40 MB" in dash_duo.find_element("#upload-limit").text
    # The blank template, one click away, filled in as a clerk would.
    period = dash_duo.find_element("#upload-template-period")
    dash_duo.clear_input(period)
    period.send_keys("2016")
    dash_duo.find_element("#upload-template-button").click()
    template = downloaded(dash_duo, ".xlsx")
    assert "北流市" in template.name and "2016" in template.name
    filled = fill_template(template, tmp_path / "北流市_2016.xlsx")
    drop(dash_duo, filled)
    dash_duo.wait_for_element(".upload-file .upload-ready", timeout=60)
    card = dash_duo.find_element(".upload-file").text
    assert "北流市，2016年" in card and "错误 0 个" in card
    assert table_counts(engine)["submission"] == 0           # the dry run loads nothing
    screenshot(dash_duo, "upload_dry_run_zh")
    bar = ".upload-file .upload-submit-progress [role=progressbar]"
    watch_progress(dash_duo, bar)
    click(dash_duo, ".upload-submit")
    dash_duo.wait_for_element(".upload-loaded", timeout=60)
    assert table_counts(engine)["submission"] == 1
    # The submission's bar went only forward (read again, loading, done) and ends full, saying so.
    seen = progress_seen(dash_duo)
    assert seen and seen == sorted(seen) and seen[-1] == 100, seen
    assert dash_duo.find_element(bar).text == "100%"
    assert dash_duo.find_element(".upload-file .upload-submit-stage").text == "已完成"
    # The county's list of returns shows the new one without a reload.
    dash_duo.wait_for_contains_text("#upload-my-returns", "北流市_2016.xlsx", timeout=20)
    assert "已报送" in dash_duo.find_element("#upload-my-returns tbody tr").text
    assert dash_duo.find_element("#upload-my-returns").find_element(By.XPATH, "../..").text.startswith("本县报表")
    screenshot(dash_duo, "upload_submitted_zh")
    assert dash_duo.get_logs() == []
    # Not approved yet: the officials' overview shows no figures for 2016, and says that a return awaits approval.
    visit(dash_duo, "/?period=2016", "#empty-state")
    assert "正在等待市里审核" in dash_duo.find_element("#empty-state").text
    logout(dash_duo)
    # The city approves it in the browser, after confirming.
    login(dash_duo, "admin", next_path="/admin")
    dash_duo.wait_for_element("#admin-submission", timeout=20)
    dash_duo.select_dcc_dropdown("#admin-submission", index=0)
    dash_duo.find_element("body").send_keys(Keys.ESCAPE)
    click(dash_duo, "#admin-approve")
    WebDriverWait(dash_duo.driver, 20).until(expected_conditions.alert_is_present()).accept()
    dash_duo.wait_for_contains_text("#admin-message", "已审核通过", timeout=20)
    dash_duo.wait_for_contains_text("#admin-audit", "批准", timeout=20)
    screenshot(dash_duo, "admin_zh")
    visit(dash_duo, "/?period=2016", "#kpi-area_ge_500")
    from etl.registry import default_registry
    n = len(default_registry().in_county("450981"))
    dash_duo.wait_for_text_to_equal("#kpi-area_ge_500 .kpi-value", f"{n}个", timeout=15)
    assert "已审核" in dash_duo.find_element(".page-source").text
    assert dash_duo.get_logs() == []


def test_bad_workbook_shows_each_problem_and_loads_nothing(dash_duo, work, tmp_path):
    app, engine = work
    before = table_counts(engine)
    rows = standard_rows("450981", 3)
    rows[0][5] = "很大"          # F4 (two title lines and the header above): not a number
    rows[2][6] = -3              # G6: out of range
    bad = write_workbook(tmp_path / "bad.xlsx", SheetSpec(rows=rows))
    start(dash_duo, app)
    login(dash_duo, "analyst", next_path="/upload")
    dash_duo.wait_for_element("#upload-files", timeout=20)
    drop(dash_duo, bad)
    dash_duo.wait_for_element(".upload-file .upload-blocked", timeout=60)
    problems = dash_duo.find_element(".problems-table").text
    found = [[c.text for c in r.find_elements(By.TAG_NAME, "td")]
             for r in dash_duo.driver.find_elements(By.CSS_SELECTOR, ".problems-table tbody tr")]
    assert ["社区基本情况", "4", "F"] in [f[:3] for f in found] and ["社区基本情况", "6", "G"] in [f[:3] for f in found]
    assert "很大" in problems and "-3" in problems
    assert dash_duo.driver.find_elements(By.CSS_SELECTOR, ".upload-submit") == []
    assert table_counts(engine) == before
    screenshot(dash_duo, "upload_problems_zh")


def test_a_file_over_the_limit_is_named_in_the_page(dash_duo, work, tmp_path, monkeypatch):
    app, engine = work
    before = table_counts(engine)
    config = tmp_path / "small-limit.toml"
    config.write_text("[upload]\nmax_file_mb = 1\n", encoding="utf-8")
    monkeypatch.setenv("SHEQU_CONFIG", str(config))           # the city's settings, read by each page and check
    big = tmp_path / "大报表.xlsx"
    big.write_bytes(b"\0" * (2**20 + 1))                      # a byte over 1 MB: the browser keeps it back
    good = write_workbook(tmp_path / "good.xlsx", SheetSpec(rows=standard_rows("450981", 3),
                                                            title=[["填报单位：北流市", "报告期：2016年"]]))
    start(dash_duo, app)
    login(dash_duo, "analyst", next_path="/upload")
    dash_duo.wait_for_element("#upload-files", timeout=20)
    assert "1 MB" in dash_duo.find_element("#upload-limit").text
    drop(dash_duo, big, good)                                 # one drop: the good file is checked, the big one named
    dash_duo.wait_for_text_to_equal("#upload-too-big-message", "大报表.xlsx（1.1 MB）超过每个文件 1 MB 的上限，未上传。",
                                    timeout=20)
    dash_duo.wait_for_element(".upload-file .upload-ready", timeout=60)
    assert len(dash_duo.find_elements(".upload-file")) == 1
    screenshot(dash_duo, "upload_too_big_zh")
    # In English; a later drop without a file over the limit clears the message.
    visit(dash_duo, "/upload?lang=en", "#upload-files")
    drop(dash_duo, big)
    dash_duo.wait_for_text_to_equal("#upload-too-big-message",
                                    "大报表.xlsx (1.1 MB) is over the limit of 1 MB per file and was not uploaded.",
                                    timeout=20)
    drop(dash_duo, good)
    dash_duo.wait_for_element(".upload-file .upload-ready", timeout=60)
    dash_duo.wait_for_text_to_equal("#upload-too-big-message", "", timeout=20)
    assert table_counts(engine) == before
    assert dash_duo.get_logs() == []


def test_analyst_cannot_submit_another_countys_return(dash_duo, work, tmp_path):
    app, engine = work
    before = table_counts(engine)
    other = write_workbook(tmp_path / "rong.xlsx", SheetSpec(
        rows=standard_rows("450921", 3), title=[["填报单位：容县", "报告期：2016年"]]))
    start(dash_duo, app)
    login(dash_duo, "analyst", next_path="/upload")
    dash_duo.wait_for_element("#upload-files", timeout=20)
    drop(dash_duo, other)
    dash_duo.wait_for_element(".upload-file .upload-forbidden", timeout=60)
    assert "容县" in dash_duo.find_element(".upload-file").text
    assert dash_duo.driver.find_elements(By.CSS_SELECTOR, ".upload-submit") == []
    assert table_counts(engine) == before


def test_a_check_waiting_its_turn_says_so_and_one_whose_job_died_says_that(dash_duo, work, tmp_path):
    """Both slots taken (two long checks elsewhere): the page says the check is queued. Its job then dies, as when
    the web server restarts under it: the page says so in words, and the next drop is checked as usual."""
    import os
    import signal
    import subprocess
    import sys
    app = work[0]
    slots = Path(app.server.config["SHEQU_CACHE_DIR"]) / "check-slots"
    slots.mkdir(parents=True, exist_ok=True)
    good = write_workbook(tmp_path / "good.xlsx", SheetSpec(rows=standard_rows("450981", 3),
                                                            title=[["填报单位：北流市", "报告期：2016年"]]))
    start(dash_duo, app)
    login(dash_duo, "analyst", next_path="/upload")
    dash_duo.wait_for_element("#upload-files", timeout=20)
    # Another process holds both slots (upload.parallel_checks = 2), as two long checks would. Not this one: the
    # check's job is forked from it and would inherit the locks.
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        "fds = [os.open(os.path.join(sys.argv[1], f'slot-{i}'), os.O_CREAT | os.O_RDWR) for i in range(2)]\n"
        "[fcntl.flock(fd, fcntl.LOCK_EX) for fd in fds]\n"
        "print('held', flush=True)\n"
        "time.sleep(600)\n"), str(slots)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        drop(dash_duo, good)
        dash_duo.wait_for_contains_text("#upload-queue", "排队中：前面还有 0 个检查", timeout=30)
        screenshot(dash_duo, "upload_queued_zh")
        ticket = next(slots.glob("wait-*"))
        os.kill(int(ticket.name.rsplit("-", 1)[1]), signal.SIGKILL)
        dash_duo.wait_for_element(".upload-lost", timeout=30)
        assert dash_duo.find_element(".upload-lost").text.startswith("检查服务没有响应")
        assert dash_duo.find_element("#upload-queue").text == ""
        screenshot(dash_duo, "upload_job_lost_zh")
    finally:
        holder.kill()
        holder.wait()
    drop(dash_duo, good)
    dash_duo.wait_for_element(".upload-file .upload-ready", timeout=60)
    assert dash_duo.driver.find_elements(By.CSS_SELECTOR, ".upload-lost") == []


def test_a_return_full_of_errors_lists_the_first_problems_and_downloads_them_all(dash_duo, work, tmp_path):
    rows = standard_rows("450981", 5)
    bad = [list(rows[i % 5][:5]) + ["很大"] + list(rows[i % 5][6:]) for i in range(1500)]
    book = write_workbook(tmp_path / "many.xlsx", SheetSpec(rows=bad, title=[["填报单位：北流市", "报告期：2016年"]]))
    app = work[0]
    start(dash_duo, app)
    login(dash_duo, "analyst", next_path="/upload?lang=en")
    dash_duo.wait_for_element("#upload-files", timeout=20)
    drop(dash_duo, book)
    dash_duo.wait_for_element(".upload-file .upload-blocked", timeout=90)
    assert len(dash_duo.driver.find_elements(By.CSS_SELECTOR, ".problems-table tbody tr")) == 100
    more = dash_duo.find_element(".upload-problems-more").text
    assert "more problems not shown; download them all" in more, more
    rest = int(re.search(r"([\d,]+) more problems not shown", more).group(1).replace(",", ""))
    click(dash_duo, ".upload-problems-download")
    listed = downloaded(dash_duo, ".csv")
    lines = listed.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "Sheet,Row,Column,Severity,Problem code,Message" and len(lines) == 1 + 100 + rest
    screenshot(dash_duo, "upload_many_problems_en")
    assert dash_duo.get_logs() == []


def _dash_post(base: str, cookies: dict, body: dict, csrf: bool = True) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if csrf:
        headers["X-CSRFToken"] = cookies["_csrf_token"]
    return requests.post(base + "/_dash-update-component", json=body, cookies=cookies, headers=headers, timeout=30)


def upload_check_body(content_b64: str) -> dict:
    return {"output": "upload-results.children", "outputs": {"id": "upload-results", "property": "children"},
            "inputs": [{"id": "upload-files", "property": "contents", "value": [content_b64]}],
            "changedPropIds": ["upload-files.contents"],
            "state": [{"id": "upload-files", "property": "filename", "value": ["x.xlsx"]},
                      {"id": "upload-lang", "property": "data", "value": "zh"}]}


def submit_body(token: str) -> dict:
    ident = {"type": "upload-outcome", "token": token}
    return {"output": '{"token":["MATCH"],"type":"upload-outcome"}.children',
            "outputs": {"id": ident, "property": "children"},
            "inputs": [{"id": {"type": "upload-submit", "token": token}, "property": "n_clicks", "value": 1}],
            "changedPropIds": [f'{{"token":"{token}","type":"upload-submit"}}.n_clicks'],
            "state": [{"id": "upload-lang", "property": "data", "value": "zh"}]}


def test_viewer_has_no_upload_page_and_a_direct_post_is_refused(dash_duo, work, tmp_path):
    import base64
    app, engine = work
    before = table_counts(engine)
    start(dash_duo, app)
    login(dash_duo, "viewer")
    dash_duo.wait_for_element("#nav-overview", timeout=20)
    assert dash_duo.driver.find_elements(By.CSS_SELECTOR, "#nav-upload") == []
    assert dash_duo.driver.find_elements(By.CSS_SELECTOR, "#nav-admin") == []
    assert dash_duo.find_element("#user-name").text.startswith("viewer")
    cookies = {c["name"]: c["value"] for c in dash_duo.driver.get_cookies()}
    base = dash_duo.server_url
    assert requests.get(base + "/upload", cookies=cookies, timeout=30).status_code == 403
    workbook = write_workbook(tmp_path / "v.xlsx", SheetSpec(rows=standard_rows("450981", 3),
                                                             title=[["填报单位：北流市", "报告期：2016年"]]))
    payload = "data:application/octet-stream;base64," + base64.b64encode(workbook.read_bytes()).decode()
    for body in (upload_check_body(payload), submit_body("any-token")):
        response = _dash_post(base, cookies, body)
        assert response.status_code == 403, response.text
        assert "Traceback" not in response.text
    admin_body = {"output": "admin-message.children", "outputs": {"id": "admin-message", "property": "children"},
                  "inputs": [{"id": "admin-approve", "property": "n_clicks", "value": 1}],
                  "changedPropIds": ["admin-approve.n_clicks"], "state": []}
    assert _dash_post(base, cookies, admin_body).status_code == 403
    # Without the CSRF header even a permitted request is refused.
    assert _dash_post(base, cookies, {"output": "x.children", "outputs": {"id": "x", "property": "children"},
                                      "inputs": [], "changedPropIds": []}, csrf=False).status_code == 400
    # Without a session: 401.
    assert _dash_post(base, {"_csrf_token": "x"}, upload_check_body(payload)).status_code in (400, 401)
    # The refusal is a page in the app's look and the visitor's language, with a way on.
    dash_duo.driver.get(base + "/upload")
    dash_duo.wait_for_element("main h1", timeout=20)
    assert dash_duo.find_element("main h1").text == "403 · 无权访问" and "Traceback" not in dash_duo.driver.page_source
    assert dash_duo.find_element(".app-header .brand-title").text == "玉林市社区标准化建设监测"
    assert dash_duo.find_element(".error-message").text.startswith("您的账号无权使用此页面")
    assert "Your account" not in dash_duo.find_element("main").text
    header = dash_duo.driver.execute_script(
        "return getComputedStyle(document.querySelector('.app-header')).backgroundColor")
    assert header not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")          # the app's stylesheet is applied
    screenshot(dash_duo, "forbidden_zh")
    dash_duo.find_element("#lang-toggle").click()
    dash_duo.wait_for_text_to_equal("main h1", "403 · Not allowed", timeout=20)
    assert dash_duo.find_element(".error-message").text.startswith("Your account may not use this page")
    assert dash_duo.find_element("#error-home").get_attribute("href").endswith("/?lang=en")
    screenshot(dash_duo, "forbidden_en")
    assert table_counts(engine) == before


def test_english_check_says_columns_in_english_and_an_admin_sees_every_countys_returns(dash_duo, work, tmp_path):
    app, engine = work
    before = table_counts(engine)
    rows = standard_rows("450981", 3)
    rows[0][5] = None            # F3 (one title line and the header above): a required value left blank
    rows[1][6] = 75              # G4: more service items than the catalogue has
    bad = write_workbook(tmp_path / "bad_en.xlsx", SheetSpec(rows=rows, title=[["填报单位：北流市", "报告期：2016年"]]))
    start(dash_duo, app)
    login(dash_duo, "analyst", next_path="/upload?lang=en")
    dash_duo.wait_for_element("#upload-files", timeout=20)
    assert dash_duo.find_element("#upload-my-returns").find_element(By.XPATH, "../..").text.startswith(
        "Your county's returns")
    drop(dash_duo, bad)
    dash_duo.wait_for_element(".upload-file .upload-blocked", timeout=60)
    found = {tuple(c.text for c in r.find_elements(By.TAG_NAME, "td"))[1:]
             for r in dash_duo.driver.find_elements(By.CSS_SELECTOR, ".problems-table tbody tr")}
    assert ("3", "F", "error", "'Service premises (m²)' is required") in found
    assert ("4", "G", "error", "75 is out of range (Service items: 0–59)") in found
    heads = [h.text for h in dash_duo.driver.find_elements(By.CSS_SELECTOR, ".problems-table th")]
    assert not any("\u4e00" <= ch <= "\u9fff" for text in heads for ch in text), heads
    screenshot(dash_duo, "upload_problems_en")
    assert table_counts(engine) == before
    logout(dash_duo)
    # An admin's list holds every county's returns, and its heading says so; in both languages and on a phone.
    login(dash_duo, "admin", next_path="/upload")
    for lang, heading in (("zh", "各县（市、区）报表"), ("en", "All counties' returns")):
        for width in (1440, 390):
            dash_duo.driver.set_window_size(width, 1000)
            visit(dash_duo, f"/upload?lang={lang}", "#upload-my-returns")
            assert dash_duo.find_element("#upload-my-returns").find_element(By.XPATH, "../..").text.startswith(
                heading)
            assert dash_duo.driver.execute_script("return document.documentElement.scrollWidth") <= width
            screenshot(dash_duo, f"upload_{lang}_{width}")
    dash_duo.driver.set_window_size(1280, 1000)
    assert dash_duo.get_logs() == []
