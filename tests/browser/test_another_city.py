"""Another city end to end in a real headless Chromium (issue 15): 梧州市 from a fresh database — its registry from
the national codes, a template per county, its sample returns ingested, its indicators under 450400 — every page
titled 梧州市 with its 7 counties drawn, nothing saying 玉林; and 湛江市 without boundaries: the ranking in the map's
place. Each city is served by `shequ serve` in a process of its own, as a city office runs it."""
from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from .conftest import PASSWORD, login, screenshot, shequ, use, visit

PAGES = ["/", "/scorecard", "/counties", "/communities", "/leaders", "/reporting", "/upload", "/export", "/admin",
         "/briefing"]
TITLES = {"zh": "梧州市社区标准化建设监测", "en": "Wuzhou Community Standardisation Monitor"}


def city_database(tmp_path, city: str) -> str:
    """A fresh database of the city with its sample returns loaded and approved, and an admin login."""
    from etl.store.db import make_engine
    from etl.store.users import add_user
    url = f"sqlite:///{tmp_path / 'city.db'}"
    shequ(url, "init", "--city", city)
    shequ(url, "sample", tmp_path / "returns", "--city", city)
    shequ(url, "ingest", *sorted((tmp_path / "returns").glob("*.xlsx")))
    shequ(url, "approve", "--all")
    engine = make_engine(url)
    add_user(engine, "admin", PASSWORD, "admin")
    engine.dispose()
    return url


def test_wuzhou_end_to_end(dash_duo, tmp_path, serve):
    url = city_database(tmp_path, "梧州市")
    # the registry: 154 communities, 46 urban and 108 township, in 7 counties
    (tmp_path / "templates").mkdir()
    listing = shequ(url, "template", tmp_path / "templates" / "t.xlsx", "--period", "2016")
    templates = sorted((tmp_path / "templates").glob("*.xlsx"))
    assert len(templates) == 7 and "万秀区" in listing
    rows = 0
    for path in templates:
        sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        values = [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
        assert values[0] == "梧州市城乡社区规范化建设情况报表" and not any("玉林" in v for v in values)
        rows += sum(1 for v in values if v.startswith("4504") and len(v) == 12)
    assert rows == 154
    from etl.store.db import make_engine, registry_from_db
    registry = registry_from_db(make_engine(url))
    assert (sum(c.kind == "城市社区" for c in registry.communities),
            sum(c.kind == "乡镇社区" for c in registry.communities)) == (46, 108)
    # its indicators under 450400 梧州市
    out = shequ(url, "indicators", "--level", "city", "--period", "2015", "--format", "csv")
    city = {r["indicator"]: r for r in csv.DictReader(io.StringIO(out))}
    assert {(r["area_code"], r["area_name"]) for r in city.values()} == {("450400", "梧州市")}
    assert float(city["communities"]["value"]) == 154 and float(city["reporting_rate_pct"]["value"]) == 100

    use(dash_duo, serve(url))
    dash_duo.driver.get(dash_duo.server_url + "/login")
    dash_duo.wait_for_element("#login-form", timeout=20)
    assert "梧州市" in dash_duo.driver.title and "玉林" not in dash_duo.driver.page_source
    login(dash_duo, "admin")
    for lang in ("zh", "en"):
        for path in PAGES:
            visit(dash_duo, f"{path}?lang={lang}&period=2015")
            source = dash_duo.driver.page_source
            assert "梧州市" in dash_duo.driver.title, (path, dash_duo.driver.title)
            assert dash_duo.find_element(".brand-title").text == TITLES[lang]
            assert "玉林" not in source and "Yulin" not in source and "Traceback" not in source, path
            screenshot(dash_duo, f"wuzhou_{path.strip('/') or 'overview'}_{lang}")
        visit(dash_duo, f"/?lang={lang}&period=2015", "#overview-map .choroplethlocation")
        drawn = dash_duo.driver.execute_script("return document.querySelectorAll('#overview-map .choroplethlocation').length")
        assert drawn == 7
        labels = dash_duo.driver.execute_script(
            "return Array.from(document.querySelectorAll('#overview-map g.scattergeo text')).map(t => t.textContent)")
        assert ("万秀区" if lang == "zh" else "Wanxiu") in labels


def test_zhanjiang_without_boundaries_shows_the_ranking_in_the_map_s_place(dash_duo, tmp_path, serve):
    url = city_database(tmp_path, "湛江市")
    use(dash_duo, serve(url))
    login(dash_duo, "admin")
    for lang, note in (("zh", "本市尚无县界地图"), ("en", "No county boundaries")):
        visit(dash_duo, f"/?lang={lang}&period=2015", "#overview-ranking")
        assert note in dash_duo.find_element(".no-map-note").text
        assert not dash_duo.driver.find_elements("css selector", "#overview-map")
        bars = dash_duo.driver.execute_script("return document.querySelectorAll('#overview-ranking g.point').length")
        assert bars == 9
        assert "湛江市" in dash_duo.driver.title and "玉林" not in dash_duo.driver.page_source
        screenshot(dash_duo, f"zhanjiang_no_map_{lang}")
        visit(dash_duo, f"/briefing?lang={lang}&period=2015")
        assert note in dash_duo.find_element(".no-map-note").text


def test_zhanjiang_with_boundaries_added_later_draws_its_9_counties(dash_duo, tmp_path, serve):
    import json
    from etl.national import city_registry
    from boundaries import rectangles
    url = city_database(tmp_path, "湛江市")
    path = tmp_path / "zhanjiang.geojson"
    path.write_text(json.dumps(rectangles(city_registry("湛江市"))), encoding="utf-8")
    assert "440800 湛江市, 269 communities" in shequ(url, "init", "--boundaries", path)   # the city kept
    use(dash_duo, serve(url))
    login(dash_duo, "admin")
    visit(dash_duo, "/?period=2015", "#overview-map .choroplethlocation")
    drawn = dash_duo.driver.execute_script("return document.querySelectorAll('#overview-map .choroplethlocation').length")
    assert drawn == 9 and "本市提供的边界文件" in dash_duo.find_element(".attribution").text
    screenshot(dash_duo, "zhanjiang_own_boundaries_zh")
