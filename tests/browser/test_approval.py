"""The city approves loaded returns in a real browser: told on the overview, a period in one confirmed action, the
lists and the audit log refreshed, in Chinese and English, on a desktop and a phone (issue 12)."""
from __future__ import annotations

import json
import shutil

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from .conftest import add_users, login, screenshot, start, visit, wait_idle
from .test_upload_flow import click


@pytest.fixture
def loaded(sample_db_url, tmp_path):
    """The 21 sample returns loaded and none approved yet, the three users, an app over them."""
    from dashboard.app import create_app
    from etl.store.db import make_engine
    target = tmp_path / "loaded.db"
    shutil.copy(sample_db_url.removeprefix("sqlite:///"), target)
    url = f"sqlite:///{target}"
    add_users(url)
    engine = make_engine(url)
    yield create_app(url, secret_key="approval-tests", cache_dir=tmp_path / "cache"), engine
    engine.dispose()


def statuses(engine, period: str) -> set[str]:
    from etl.store.queries import submissions
    return set(submissions(engine, period=period)["status"])


def confirm_dialog(dash_duo):
    """The browser's own confirmation (dcc.ConfirmDialog), once it shows."""
    return WebDriverWait(dash_duo.driver, 20).until(expected_conditions.alert_is_present())


def choose(dash_duo, selector: str, *indexes: int) -> None:
    """Tick options of a multiple-choice dropdown by position, as a person clicks them, then close it."""
    wait_idle(dash_duo)
    dash_duo.find_element(selector).click()
    for index in indexes:
        dash_duo.find_elements(".dash-dropdown-options .dash-dropdown-option")[index].click()
    dash_duo.find_element("body").send_keys(Keys.ESCAPE)


def test_admin_is_told_and_approves_a_period_in_one_confirmed_action(dash_duo, loaded):
    app, engine = loaded
    start(dash_duo, app)
    login(dash_duo, "admin")
    # Nothing approved yet: the overview says that 21 returns wait, not "please upload", and links to them.
    dash_duo.wait_for_element("#empty-state", timeout=20)
    empty = dash_duo.find_element("#empty-state").text
    assert "已报送 21 份报表，尚未审核" in empty and "请上传" not in empty
    screenshot(dash_duo, "overview_awaiting_zh")
    click(dash_duo, "#empty-state .awaiting-link")
    dash_duo.wait_for_element("#admin-approve-all", timeout=20)
    assert "period=2015" in dash_duo.driver.current_url
    dash_duo.wait_for_contains_text("#admin-approve-period", "2015年（7 份待审核）", timeout=20)
    # Cancelled, nothing happens.
    click(dash_duo, "#admin-approve-all")
    dialog = confirm_dialog(dash_duo)
    assert dialog.text.splitlines()[0] == "确定批准以下 7 份报表吗？" and len(dialog.text.splitlines()) == 8
    dialog.dismiss()
    wait_idle(dash_duo)
    assert statuses(engine, "2015") == {"submitted"}
    # Confirmed: the seven at once, each in the audit log; every list shows it without a reload.
    click(dash_duo, "#admin-approve-all")
    confirm_dialog(dash_duo).accept()
    dash_duo.wait_for_contains_text("#admin-message", "已批准 7 份报表", timeout=30)
    assert statuses(engine, "2015") == {"approved"} and statuses(engine, "2014") == {"submitted"}
    from etl.store.audit import events
    logged = events(engine)
    approvals = logged[logged["action"] == "approve"]
    assert len(approvals) == 7 and {json.loads(d)["period"] for d in approvals["detail"]} == {"2015"}
    dash_duo.wait_for_contains_text("#admin-approve-period", "2014年（7 份待审核）", timeout=20)
    first_row = dash_duo.find_element("#admin-audit tbody tr").text
    assert "批准" in first_row and "北流市；2015年" in first_row and "approve" not in first_row
    rows_2015 = [r.text for r in dash_duo.find_elements("#admin-submissions tbody tr") if "2015年" in r.text]
    assert len(rows_2015) == 7 and all("已审核" in r for r in rows_2015)
    screenshot(dash_duo, "admin_approved_period_zh")
    # The overview now shows 2015, and tells the admin that the other two periods still wait.
    visit(dash_duo, "/", "#awaiting-notice")
    notice = dash_duo.find_element("#awaiting-notice")
    assert notice.text.startswith("有 14 份报表待审核")
    assert "/admin?period=2014" in notice.find_element(By.CSS_SELECTOR, "a").get_attribute("href")
    assert dash_duo.find_elements(".kpi-card")
    screenshot(dash_duo, "overview_awaiting_notice_zh")
    assert dash_duo.get_logs() == []


def test_admin_approves_a_chosen_few_in_english(dash_duo, loaded):
    app, engine = loaded
    start(dash_duo, app)
    login(dash_duo, "admin", next_path="/admin?lang=en")
    dash_duo.wait_for_element("#admin-submission", timeout=20)
    assert dash_duo.find_element(".page-title").text == "Approval and administration"
    choose(dash_duo, "#admin-submission", 1, 2)      # the second and third newest: #20 and #19
    click(dash_duo, "#admin-approve")
    dialog = confirm_dialog(dash_duo)
    assert dialog.text.splitlines()[0] == "Approve the following returns (2)?"
    chosen = [int(line.split()[0].lstrip("#")) for line in dialog.text.splitlines()[1:]]
    assert chosen == [19, 20]
    dialog.accept()
    dash_duo.wait_for_contains_text("#admin-message", "Returns approved (2): #19, #20.", timeout=30)
    from etl.store.queries import submissions
    subs = submissions(engine).set_index("id")["status"]
    assert {subs[i] for i in chosen} == {"approved"} and (subs == "approved").sum() == 2
    dash_duo.wait_for_contains_text("#admin-audit", "return #19; Bobai County; 2015", timeout=20)
    wait_idle(dash_duo)
    audit = dash_duo.find_element("#admin-audit").text
    assert "Approved" in audit and "approve" not in audit and "submission=" not in audit
    assert dash_duo.find_element("#admin-submission").text.strip() in ("", "Select...")   # the choice is cleared
    # Adding a user refreshes the list of users and the log too.
    dash_duo.find_element("#admin-new-username").send_keys("clerk2")
    dash_duo.find_element("#admin-new-password").send_keys("clerk-pass-1")
    click(dash_duo, "#admin-add-user")
    dash_duo.wait_for_text_to_equal("#admin-user-message", "User clerk2 added.", timeout=20)
    dash_duo.wait_for_contains_text("#admin-users", "clerk2", timeout=20)
    dash_duo.wait_for_contains_text("#admin-audit tbody tr", "User added", timeout=20)
    assert "user clerk2; viewer" in dash_duo.find_element("#admin-audit tbody tr").text
    assert dash_duo.get_logs() == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_admin_page_on_a_desktop_and_a_phone(dash_duo, loaded, lang):
    app, _engine = loaded
    start(dash_duo, app)
    login(dash_duo, "admin")
    for width in (1440, 390):
        dash_duo.driver.set_window_size(width, 1000)
        visit(dash_duo, f"/admin?lang={lang}", "#admin-add-user")
        screenshot(dash_duo, f"admin_{lang}_{width}")
        # The new user's name and password boxes are wide enough to type in (they were squashed to ~40 px).
        for box in ("#admin-new-username", "#admin-new-password"):
            assert dash_duo.find_element(box).size["width"] >= (150 if width > 400 else 300), (box, width)
        # On a desktop, approve and send back sit side by side, not one above the other.
        approve, send_back = dash_duo.find_element("#admin-approve"), dash_duo.find_element("#admin-return")
        assert approve.location["y"] == send_back.location["y"] or width < 400
        # Nothing wider than the window: tables scroll in their own box.
        assert dash_duo.driver.execute_script("return document.documentElement.scrollWidth") <= width
    dash_duo.driver.set_window_size(1280, 1000)
    assert dash_duo.get_logs() == []
