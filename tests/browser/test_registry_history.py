"""A community's history through registry changes, in a real headless Chromium (issue 16): Yulin's 2013–2015
sample, a change set of each kind effective 2016 applied with `shequ registry apply`, 北流市's 2016 return written
over the new registry (naming 永丰 by its old name) — the renamed community's history runs on unbroken under its
new name, the merged one lists its predecessors with their own histories, a split one names its predecessor."""
from __future__ import annotations

from selenium.webdriver.common.by import By

from .conftest import PASSWORD, login, screenshot, shequ, use, visit


def changed_database(tmp_path, approved_db_url) -> str:
    from etl.ingest import ingest_path
    from etl.store.db import make_engine
    from etl.store.load import set_status
    from conftest import copied
    from test_registry_changes import EACH_KIND, beiliu_return
    url = copied(approved_db_url, tmp_path / "changed.db")
    changes = tmp_path / "changes_2016.csv"
    changes.write_text(EACH_KIND, encoding="utf-8")
    assert "applied" in shequ(url, "registry", "apply", changes)
    engine = make_engine(url)
    outcome = ingest_path(engine, beiliu_return(tmp_path / "北流市_2016.xlsx", engine,
                                                rename={"450981002002": "永丰社区"}))
    assert outcome.status == "loaded" and [p.code for p in outcome.report.warnings][0] == "renamed"
    set_status(engine, outcome.load.submission_id, "approved")
    engine.dispose()
    return url


def history_text(dash_duo) -> str:
    return dash_duo.find_element("#community-history").text


def test_history_follows_a_community_through_renames_merges_and_splits(dash_duo, tmp_path, serve, approved_db_url):
    use(dash_duo, serve(changed_database(tmp_path, approved_db_url)))
    login(dash_duo, "admin", PASSWORD)
    dash_duo.driver.set_window_size(1440, 1000)

    visit(dash_duo, "/communities?period=2016&county=450981&community=450981002002", "#community-history .history-table")
    text = history_text(dash_duo)
    assert "永丰新村社区居委会：历年情况" in text
    assert "历用名称：永丰社区居委会（2016年以前）、永丰新村社区居委会（2016年起）" in text
    rows = dash_duo.driver.find_elements(By.CSS_SELECTOR, "#community-history .history-table tbody tr")
    cells = [[td.text for td in row.find_elements(By.TAG_NAME, "td")][:2] for row in rows]
    assert cells == [["2013年", "永丰社区居委会"], ["2014年", "永丰社区居委会"], ["2015年", "永丰社区居委会"],
                     ["2016年", "永丰新村社区居委会"]]
    assert dash_duo.get_logs() == []
    screenshot(dash_duo, "registry_renamed_history_zh_1440")

    visit(dash_duo, "/communities?period=2016&county=450981&community=450981001101", "#community-history .predecessor")
    text = history_text(dash_duo)
    assert "2016年由 马岭社区居委会、朱砂罗社区居委会 合并设立" in text
    predecessors = dash_duo.driver.find_elements(By.CSS_SELECTOR, "#community-history .predecessor")
    assert [p.get_attribute("data-community") for p in predecessors] == ["450981001005", "450981001006"]
    for p in predecessors:
        periods = [r.find_elements(By.TAG_NAME, "td")[0].text for r in p.find_elements(By.CSS_SELECTOR, "tbody tr")]
        assert periods == ["2013年", "2014年", "2015年"]
    screenshot(dash_duo, "registry_merged_history_zh_1440")

    visit(dash_duo, "/communities?period=2016&county=450981&community=450981002101", "#community-history")
    assert "2016年由 新兴社区居委会 拆分设立" in history_text(dash_duo)
    visit(dash_duo, "/communities?period=2015&county=450981&community=450981002004", "#community-history")
    assert "2016年拆分为 新兴东社区居委会、新兴西社区居委会" in history_text(dash_duo)
    visit(dash_duo, "/communities?period=2016&county=450981&community=450981001004", "#community-history")
    assert "2016年由 陵城街道 调整隶属至 城南街道" in history_text(dash_duo)

    visit(dash_duo, "/communities?period=2016&county=450981&community=450981001101&lang=en",
          "#community-history .predecessor")
    text = history_text(dash_duo)
    assert "Merged from 马岭社区居委会; 朱砂罗社区居委会 in 2016" in text and "Before the merge" in text
    screenshot(dash_duo, "registry_merged_history_en_1440")
    dash_duo.driver.set_window_size(390, 900)
    visit(dash_duo, "/communities?period=2016&county=450981&community=450981002002&lang=en",
          "#community-history .history-table")
    assert "Names over time: 永丰社区居委会 (before 2016); 永丰新村社区居委会 (since 2016)" in history_text(dash_duo)
    screenshot(dash_duo, "registry_renamed_history_en_390")
    visit(dash_duo, "/communities?period=2016&county=450981&community=450981001101", "#community-history .predecessor")
    screenshot(dash_duo, "registry_merged_history_zh_390")
