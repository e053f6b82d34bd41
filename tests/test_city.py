"""The city is data: `shequ init --city/--registry/--boundaries`, the city kept by a re-run, clear errors that
change nothing (spec/cli.md, registry.md "Which communities a city has")."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from etl.cli import cli
from etl.national import city_boundaries
from etl.registry import load_registry_csv
from etl.store.db import city_boundary, make_engine, place, registry_from_db
from boundaries import rectangles
from returns import simple_return


def run(db_url, *args):
    return CliRunner().invoke(cli, ["--db", db_url, *map(str, args)], catch_exceptions=False)


def contents(db_url) -> tuple:
    """Everything `init` may write: the places and the stored boundaries."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return (sorted(map(tuple, conn.execute(select(place)))), sorted(map(tuple, conn.execute(select(city_boundary)))))
    finally:
        engine.dispose()


def city_rows(db_url) -> list[tuple]:
    return [r[:4] for r in contents(db_url)[0] if r[3] in ("city", "county")]


@pytest.mark.parametrize("city", ["梧州市", "450400", "4504"])
def test_init_a_city_by_name_or_code(db_url, city):
    result = run(db_url, "init", "--city", city)
    assert result.exit_code == 0, result.output
    assert "450400 梧州市, 154 communities" in result.output
    rows = city_rows(db_url)
    assert rows[0] == ("450400", "梧州市", "Wuzhou City", "city")
    assert ("450403", "万秀区", "Wanxiu District", "county") in rows and len(rows) == 1 + 7
    registry = registry_from_db(make_engine(db_url))
    assert registry.city.code == "450400" and len(registry.communities) == 154


def test_init_without_a_city_keeps_the_database_s_own_and_a_new_one_is_yulin(db_url):
    assert run(db_url, "init", "--city", "梧州市").exit_code == 0
    before = contents(db_url)
    result = run(db_url, "init")                   # an upgrade: must not turn 梧州 into Yulin
    assert result.exit_code == 0 and "450400 梧州市" in result.output
    assert contents(db_url) == before


def test_a_new_database_is_yulin_s(db_url):
    result = run(db_url, "init")
    assert result.exit_code == 0 and "450900 玉林市, 184 communities" in result.output
    assert city_rows(db_url)[:2] == [("450900", "玉林市", "Yulin City", "city"),
                                     ("450902", "玉州区", "Yuzhou District", "county")]


def test_a_registry_csv_under_the_city_given(db_url, tmp_path):
    path = tmp_path / "wuzhou.csv"
    from etl.national import city_registry
    rows = ["county_code,county_name,township_code,township_name,township_kind,community_code,community_name"]
    rows += [f"{c.county_code},{c.county_name},{c.township_code},{c.township_name},"
             f"{'street' if c.kind == '城市社区' else 'town'},{c.code},{c.name}"
             for c in city_registry("梧州市").communities]
    path.write_text("\n".join(rows), encoding="utf-8")
    assert run(db_url, "init", "--registry", path, "--city", "梧州市").exit_code == 0
    assert registry_from_db(make_engine(db_url)) == city_registry("梧州市")
    # later, a newer CSV of the city's, over its returns: the database's city is the CSV's
    run(db_url, "sample", tmp_path / "returns", "--city", "梧州市")
    assert run(db_url, "ingest", tmp_path / "returns" / "2015_450403_万秀区.xlsx").exit_code == 0
    result = run(db_url, "init", "--registry", path)
    assert result.exit_code == 0 and "450400 梧州市, 154 communities" in result.output


@pytest.mark.parametrize("args, says", [
    (["--city", "不存在市"], "no city is named"),
    (["--city", "广"], "matches 3 cities"),
    (["--city", "450000"], "province"),
])
def test_a_bad_city_is_a_clear_error_that_changes_nothing(db_url, args, says):
    assert run(db_url, "init", "--city", "梧州市").exit_code == 0
    before = contents(db_url)
    result = run(db_url, "init", *args)
    assert result.exit_code == 1 and says in result.output
    assert contents(db_url) == before


def test_another_city_over_returns_is_refused(db_url, tmp_path):
    assert run(db_url, "init").exit_code == 0
    assert run(db_url, "ingest", simple_return(tmp_path / "r.xlsx")).exit_code == 0
    before = contents(db_url)
    result = run(db_url, "init", "--city", "梧州市")
    assert result.exit_code == 1 and "cannot become Wuzhou City" in result.output
    assert contents(db_url) == before
    assert run(db_url, "init", "--registry", _yulin_csv(tmp_path)).exit_code == 0     # its own city: fine


def _yulin_csv(tmp_path):
    from importlib import resources
    path = tmp_path / "yulin.csv"
    path.write_bytes(resources.files("etl").joinpath("data", "yulin_communities.csv").read_bytes())
    assert load_registry_csv(path) == load_registry_csv()
    return path


@pytest.mark.parametrize("with_boundaries", [True, False])
def test_zhanjiang_with_and_without_boundaries(db_url, tmp_path, with_boundaries):
    from etl.national import city_registry
    registry = city_registry("湛江市")
    args = ["init", "--city", "湛江市"]
    if with_boundaries:
        path = tmp_path / "zhanjiang.geojson"
        path.write_text(json.dumps(rectangles(registry)), encoding="utf-8")
        args += ["--boundaries", path]
    result = run(db_url, *args)
    assert result.exit_code == 0 and "440800 湛江市, 269 communities" in result.output
    assert len([r for r in city_rows(db_url) if r[3] == "county"]) == 9
    stored = contents(db_url)[1]
    assert city_boundaries("440800") is None
    if with_boundaries:
        assert [r[0] for r in stored] == ["440800"]
        assert {f["id"] for f in json.loads(stored[0][1])["features"]} == set(registry.counties)
    else:
        assert stored == []


@pytest.mark.parametrize("broken, says", [
    ("missing", "no boundary for county"),
    ("not json", "not valid GeoJSON"),
    ("not a collection", "not a GeoJSON FeatureCollection"),
    ("open ring", "a ring not closed"),
])
def test_bad_boundaries_are_a_clear_error_that_changes_nothing(db_url, tmp_path, broken, says):
    from etl.national import city_registry
    assert run(db_url, "init", "--city", "湛江市").exit_code == 0
    before = contents(db_url)
    registry = city_registry("湛江市")
    geojson = rectangles(registry, skip=min(registry.counties) if broken == "missing" else None)
    if broken == "open ring":
        geojson["features"][0]["geometry"]["coordinates"][0].pop()
    text = {"not json": '{"type": "FeatureCollection", "features": [', "not a collection": '[1, 2]'}.get(
        broken, json.dumps(geojson))
    path = tmp_path / "bad.geojson"
    path.write_text(text, encoding="utf-8")
    result = run(db_url, "init", "--boundaries", path)
    assert result.exit_code == 1 and says in result.output, result.output
    assert contents(db_url) == before
    # the same on a new database with the city: refused before anything is made
    fresh = run(f"sqlite:///{tmp_path / 'fresh.db'}", "init", "--city", "湛江市", "--boundaries", path)
    assert fresh.exit_code == 1 and not (tmp_path / "fresh.db").exists() or _empty(tmp_path / "fresh.db")


def _empty(path) -> bool:
    import sqlite3
    with sqlite3.connect(path) as conn:
        return not conn.execute("select name from sqlite_master where type='table'").fetchall()


def test_a_city_sets_its_own_targets_in_its_settings_file(tmp_path, monkeypatch):
    from etl.config import indicator_map, indicators, load_settings
    own = tmp_path / "wuzhou.toml"
    own.write_text('baseline_period = "2014"\n[targets]\nservices_mean = 45\n[scorecard.weights]\nservices_mean = 25\n',
                   encoding="utf-8")
    monkeypatch.setenv("SHEQU_CONFIG", str(own))
    indicators.cache_clear()
    try:
        assert indicator_map()["services_mean"].target == 45
        settings = load_settings()
        assert settings.baseline_period == "2014" and settings.weights["services_mean"] == 25
    finally:
        monkeypatch.delenv("SHEQU_CONFIG")
        indicators.cache_clear()
    assert indicator_map()["services_mean"].target == 59


def test_sample_and_demo_of_another_city(tmp_path):
    from dashboard.cli import cli as shequ
    result = CliRunner().invoke(shequ, ["sample", str(tmp_path / "wz"), "--city", "梧州市"], catch_exceptions=False)
    assert result.exit_code == 0 and "wrote 21 returns" in result.output
    again = tmp_path / "again"
    CliRunner().invoke(shequ, ["sample", str(again), "--city", "4504"], catch_exceptions=False)
    names = sorted(p.name for p in (tmp_path / "wz").iterdir())
    assert names == sorted(p.name for p in again.iterdir()) and names[0] == "2013_450403_万秀区.xlsx"
    for name in names:                 # deterministic: the same data every time
        assert (tmp_path / "wz" / name).read_bytes() == (again / name).read_bytes()
    result = CliRunner().invoke(shequ, ["demo", "--city", "梧州市", "--dir", str(tmp_path / "demo"), "--no-serve"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    url = f"sqlite:///{tmp_path / 'demo' / 'demo.db'}"
    out = run(url, "indicators", "--level", "city", "--period", "2015", "--format", "csv").output
    rows = [line.split(",") for line in out.splitlines()[1:]]
    assert {(r[1], r[2]) for r in rows} == {("450400", "梧州市")}
    assert ["2015", "450400", "梧州市", "communities", "154.0"] in rows


@pytest.mark.parametrize("name, english", [
    ("梧州市", "Wuzhou City"), ("万秀区", "Wanxiu District"), ("藤县", "Teng County"), ("岑溪市", "Cenxi City"),
    ("恭城瑶族自治县", "Gongcheng Yao Autonomous County"), ("龙胜各族自治县", "Longsheng Multi-ethnic Autonomous County"),
    ("环江毛南族自治县", "Huanjiang Maonan Autonomous County"), ("长安区", "Chang'an District"), ("湛江市", "Zhanjiang City"),
])
def test_places_without_a_chosen_english_name_are_romanised(name, english):
    from etl.names_en import romanise
    assert romanise(name) == english


def test_yulin_keeps_its_chosen_english_names_and_a_registry_pickles_with_its_city():
    import pickle
    from etl.national import city_registry
    from etl.registry import county_name_en
    assert county_name_en("450981", "北流市") == "Beiliu City" and county_name_en("450403", "万秀区") == "Wanxiu District"
    wuzhou = city_registry("梧州市")
    again = pickle.loads(pickle.dumps(wuzhou))
    assert again == wuzhou and again.city.code == "450400" and again.city.name_en == "Wuzhou City"


def test_another_city_on_an_empty_database_moves_the_data_version(db_url):
    """A serving process keys its cached pages by the data version: `init --city` on a database without returns
    must move it, or the pages would go on showing the old city's title and counties until a restart."""
    from etl.store.queries import data_version
    assert run(db_url, "init").exit_code == 0
    engine = make_engine(db_url)
    yulin = data_version(engine)
    assert run(db_url, "init", "--city", "梧州市").exit_code == 0
    wuzhou = data_version(engine)
    assert wuzhou != yulin and "450400" in wuzhou
    assert run(db_url, "init").exit_code == 0 and data_version(engine) == wuzhou      # an upgrade changes nothing
    engine.dispose()
