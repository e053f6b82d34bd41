"""An admin changes the registry from /admin in a real browser (issue 16): a bad change file shows its problems and
changes nothing, a good one shows its dry run, Apply applies it and the change set is listed; in Chinese and
English, on a desktop and a phone."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from test_registry_changes import EACH_KIND, HEADER

from .conftest import SCREENSHOTS, add_users, login, screenshot, start, visit, wait_idle
from .test_upload_flow import click

BAD = HEADER + """\
2016,rename,450981999999,,不存在社区,,,,,
2016,merge,450981001005,450981001101,合并社区,,,,,
2016,merge,450902001001,450981001101,合并社区,,,,,
"""
FIELD = "#registry-upload input[type=file]"


@pytest.fixture
def admin_app(sample_db_url, tmp_path):
    """The sample returns (2013–2015) and the three users, an app over them; the change files on disk."""
    from dashboard.app import create_app
    from etl.store.db import make_engine
    target = tmp_path / "registry.db"
    shutil.copy(sample_db_url.removeprefix("sqlite:///"), target)
    url = f"sqlite:///{target}"
    add_users(url)
    (tmp_path / "bad_changes.csv").write_text(BAD, encoding="utf-8")
    (tmp_path / "changes_2016.csv").write_text(EACH_KIND, encoding="utf-8")
    engine = make_engine(url)
    yield create_app(url, secret_key="registry-tests", cache_dir=tmp_path / "cache"), engine, tmp_path
    engine.dispose()


def drop(dash_duo, path: Path) -> None:
    """Choose the file in the drop zone's dialog (the field emptied first: chromedriver adds to the last choice)."""
    wait_idle(dash_duo)
    dash_duo.driver.execute_script("document.querySelector(arguments[0]).value = ''", FIELD)
    dash_duo.find_element(FIELD).send_keys(str(path))


def panel_shot(dash_duo, name: str) -> Path:
    """The registry card alone (test-artifacts/screenshots/<name>.png): the page around it is the admin's."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    card = dash_duo.driver.execute_script("return document.getElementById('registry-upload').closest('.card')")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'start', behavior: 'instant'})", card)
    path = SCREENSHOTS / f"{name}.png"
    card.screenshot(str(path))
    return path


def no_page_overflow(dash_duo) -> bool:
    """Nothing wider than the window: tables scroll in their own box on a phone."""
    return dash_duo.driver.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_admin_refuses_a_bad_change_file_then_applies_a_good_one(dash_duo, admin_app):
    app, engine, folder = admin_app
    from etl.store.db import registry_from_db
    from etl.store.registry_changes import change_sets
    start(dash_duo, app)
    login(dash_duo, "admin", next_path="/admin")
    dash_duo.wait_for_element("#registry-upload", timeout=20)
    assert "尚未应用过名录变更" in dash_duo.find_element("#registry-sets").text
    assert not dash_duo.find_element("#registry-apply").is_displayed()

    drop(dash_duo, folder / "bad_changes.csv")
    dash_duo.wait_for_element("#registry-result .registry-rejected", timeout=30)
    result = dash_duo.find_element("#registry-result").text
    assert "未通过检查：发现 3 个错误，整个文件未应用，名录未作任何更改" in result
    rows = [r.text for r in dash_duo.find_elements("#registry-result .registry-problems tbody tr")]
    assert [r.split()[0] for r in rows] == ["2", "3", "4"]
    assert "没有代码为450981999999的社区" in rows[0] and "分属不同县（市、区）" in rows[1]
    assert not dash_duo.find_element("#registry-apply").is_displayed()
    assert change_sets(engine).empty and registry_from_db(engine).history is None
    screenshot(dash_duo, "admin_registry_refused_zh")

    drop(dash_duo, folder / "changes_2016.csv")
    dash_duo.wait_for_element("#registry-result .registry-valid", timeout=30)
    summary = dash_duo.find_element("#registry-result .registry-sets-summary tbody tr").text
    assert "2016年" in summary and "更名 1、合并 2、拆分 2、新设 1、撤销 1、调整隶属 1" in summary
    assert change_sets(engine).empty                       # a dry run only
    assert "生效期起的报表按新名录校验和计算" in dash_duo.find_element("#registry-apply-bar").text
    click(dash_duo, "#registry-result .registry-rows-toggle")          # the rows, as the official checks them
    rows = [r.text for r in dash_duo.find_elements("#registry-result .registry-rows tbody tr")]
    assert len(rows) == 8 and "450981001005 马岭社区居委会" in rows[1] and "玉政函〔2016〕12号" in rows[0]
    panel_shot(dash_duo, "admin_registry_dry_run_rows_zh_1280")

    click(dash_duo, "#registry-apply")
    dash_duo.wait_for_element("#registry-result .registry-applied", timeout=30)
    dash_duo.wait_for_contains_text("#registry-sets", "changes_2016.csv", timeout=20)
    listed = dash_duo.find_element("#registry-sets tbody tr").text
    assert "2016年" in listed and "admin" in listed and "合并 2" in listed
    assert not dash_duo.find_element("#registry-apply").is_displayed()
    in_2016 = registry_from_db(engine).in_force("2016").by_code()
    assert "450981002103" in in_2016 and in_2016["450981002002"].name == "永丰新村社区居委会"
    dash_duo.wait_for_contains_text("#admin-audit tbody tr", "应用名录变更", timeout=20)
    panel_shot(dash_duo, "admin_registry_applied_zh_1280")
    assert dash_duo.get_logs() == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_registry_panel_on_a_desktop_and_a_phone(dash_duo, admin_app, lang):
    app, engine, folder = admin_app
    start(dash_duo, app)
    login(dash_duo, "admin")
    refused = "Refused: 3 errors found" if lang == "en" else "未通过检查"
    for width in (1440, 390):
        dash_duo.driver.set_window_size(width, 1000)
        visit(dash_duo, f"/admin?lang={lang}", "#registry-upload")
        drop(dash_duo, folder / "bad_changes.csv")
        dash_duo.wait_for_contains_text("#registry-result", refused, timeout=30)
        assert no_page_overflow(dash_duo), width
        panel_shot(dash_duo, f"admin_registry_refused_{lang}_{width}")
        drop(dash_duo, folder / "changes_2016.csv")
        dash_duo.wait_for_element("#registry-result .registry-valid", timeout=30)
        assert dash_duo.find_element("#registry-apply").is_displayed() and no_page_overflow(dash_duo)
        panel_shot(dash_duo, f"admin_registry_dry_run_{lang}_{width}")
    click(dash_duo, "#registry-apply")                     # on the phone
    dash_duo.wait_for_element("#registry-result .registry-applied", timeout=30)
    dash_duo.wait_for_contains_text("#registry-sets", "changes_2016.csv", timeout=20)
    panel_shot(dash_duo, f"admin_registry_applied_{lang}_390")
    assert dash_duo.get_logs() == []
