"""Any city's registry from the shipped national division codes, and Guangxi's county boundaries."""
from __future__ import annotations

import copy
import json
from importlib import resources

import pytest

from etl.national import (TOWNSHIP, URBAN, check_boundaries, cities, city_boundaries, city_registry, find_city,
                          ring_area)
from etl.read.problems import ShequError
from etl.registry import load_registry_csv

GUANGXI = [c for c in cities() if c.startswith("45") and c != "450000"]
# Counties of the codes that have no village-level unit named 社区, so none in the registry; the map draws them.
NO_COMMUNITIES = {"451200": {"451227": "巴马瑶族自治县"}, "451400": {"451425": "天等县"}}
# The map's earlier codes, recoded to the codes' (etl/files/national_data.py): the same territory under a new code.
RECODED = {"450100": "450181", "450200": "450206", "450300": "450381", "451000": "451003", "451200": "451203"}


def kinds(registry) -> tuple[int, int]:
    return (sum(c.kind == URBAN for c in registry.communities), sum(c.kind == TOWNSHIP for c in registry.communities))


def test_yulin_by_the_rule_is_the_shipped_registry():
    registry = city_registry("玉林市")
    assert registry == load_registry_csv()      # the same communities in the same order, field by field
    assert len(registry.communities) == 184 and kinds(registry) == (56, 128)


@pytest.mark.parametrize("city, total, urban, township, counties", [
    ("梧州市", 154, 46, 108, 7),
    ("440800", 269, None, None, 9),             # 湛江市
    ("南宁市", 455, None, None, 12),
])
def test_a_city_by_the_rule(city, total, urban, township, counties):
    registry = city_registry(city)
    assert len(registry.communities) == total and len(registry.counties) == counties
    if urban is not None:
        assert kinds(registry) == (urban, township)
    for c in registry.communities:
        assert "社区" in c.name and c.code.startswith(c.township_code) and c.township_code.startswith(c.county_code)
        assert c.kind == (URBAN if c.township_name.endswith("街道") else TOWNSHIP)


def test_the_whole_country():
    own = [code for code in cities() if not code.endswith("0000")]        # a municipality repeats its parts
    assert len(own) == 342
    assert sum(len(city_registry(code).communities) for code in own) == 111_430
    chongqing = city_registry("重庆市").communities
    assert len(chongqing) == len(city_registry("500100").communities) + len(city_registry("500200").communities)


def test_a_registry_is_built_once_a_process():
    assert city_registry("南宁市") is city_registry("4501")


@pytest.mark.parametrize("text, found", [
    ("450400", ("450400", "梧州市")),
    ("4504", ("450400", "梧州市")),
    ("梧州市", ("450400", "梧州市")),
    (" 梧州 ", ("450400", "梧州市")),                     # a name only one city's begins with
    ("４５０４００", ("450400", "梧州市")),                 # full-width digits, as pasted
    ("湛江市", ("440800", "湛江市")),
    ("北京市", ("110000", "北京市")),                     # a municipality by its own name and code
    ("110000", ("110000", "北京市")),
    ("110100", ("110100", "北京市市辖区")),               # its placeholder by code
    ("419000", ("419000", "河南省省直辖县级行政区划")),
])
def test_find_city(text, found):
    assert find_city(text) == found


@pytest.mark.parametrize("text, listed", [
    ("市辖区", ["110100 北京市市辖区", "120100 天津市市辖区", "310100 上海市市辖区", "500100 重庆市市辖区", "北京市 / 110000"]),
    ("省直辖县级行政区划", ["419000", "429000", "469000"]),
    ("玉", ["3个城市", "450900 玉林市", "530400 玉溪市", "632700 玉树藏族自治州"]),
    ("广西", ["没有名为“广西”的城市", "450900 玉林市", "等14个"]),
    ("玉林市玉州区", ["相近的有：450900 玉林市"]),
    ("铁岭县", ["没有名为“铁岭县”的城市", "211200 铁岭市"]),
    ("foo", ["没有名为“foo”的城市", "no city is named 'foo'"]),
    ("450902", ["玉林市玉州区的县级代码", "450900"]),
    ("450000", ["省级代码", "450100 南宁市"]),
    ("450999", ["没有代码为 450999 的城市"]),
    ("45", ["没有代码为 45 的城市"]),
    (" ", ["请给出城市名称或代码"]),
])
def test_find_city_names_what_matched_when_it_cannot_choose(text, listed):
    with pytest.raises(ShequError) as caught:
        find_city(text)
    for words in listed:
        assert words in str(caught.value)


def test_city_registry_refuses_what_find_city_refuses():
    with pytest.raises(ShequError, match="市辖区"):
        city_registry("市辖区")


def shipped_yulin_map() -> dict:
    return json.loads(resources.files("etl").joinpath("data", "yulin_counties.geojson").read_text(encoding="utf-8"))


def test_yulin_boundaries_are_the_shipped_ones():
    assert city_boundaries("450900") == shipped_yulin_map()


def test_boundaries_only_for_guangxi():
    assert len(GUANGXI) == 14
    assert city_boundaries("440800") is None and city_boundaries("110000") is None
    assert city_boundaries("../yulin_counties") is None


@pytest.mark.parametrize("city", GUANGXI)
def test_guangxi_boundaries_cover_the_citys_counties(city):
    geojson, registry = city_boundaries(city), city_registry(city)
    assert check_boundaries(geojson, registry.counties) == []
    drawn = {f["id"]: f["properties"]["name"] for f in geojson["features"]}
    assert {c: drawn[c] for c in registry.counties} == registry.counties          # the codes' names, today's codes
    assert {c: n for c, n in drawn.items() if c not in registry.counties} == NO_COMMUNITIES.get(city, {})
    if city in RECODED:
        assert RECODED[city] in drawn
    for f in geojson["features"]:
        assert f["properties"]["county_code"] == f["id"]
        geometry = f["geometry"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        assert all(ring_area(polygon[0]) < 0 for polygon in polygons)           # clockwise, as Plotly draws them


def yulin_with(change) -> dict:
    geojson = copy.deepcopy(shipped_yulin_map())
    change(geojson["features"])
    return geojson


def _reverse_first_ring(features):
    features[0]["geometry"]["coordinates"][0].reverse()


def _unclose_first_ring(features):
    features[0]["geometry"]["coordinates"][0].pop()


def _to_old_code(features):
    features[0]["id"] = features[0]["properties"]["county_code"] = "450901"


@pytest.mark.parametrize("change, problems", [
    (lambda f: None, []),
    (_reverse_first_ring, ["要素 450902 多边形1 环1：外环应为顺时针 / an exterior ring must run clockwise (as Plotly draws it)"]),
    (_unclose_first_ring, ["要素 450902 多边形1 环1：环未闭合（首尾点不同） / a ring not closed"]),
    (lambda f: f.pop(), ["缺少 450981 北流市 的边界 / no boundary for county 450981"]),
    (_to_old_code, ["缺少 450902 玉州区 的边界；文件中另有名录以外的 450901 玉州区（代码是否已变更？） / "
                    "no boundary for county 450902"]),
    (lambda f: f.append(copy.deepcopy(f[1])), ["县级代码 450903 出现两次（第2、8个要素） / county 450903 appears twice"]),
    (lambda f: f[2].update(id=None, properties={}),
     ["第3个要素没有 id（6位县级代码） / feature 3 has no id (the 6-digit county code)",
      "缺少 450921 容县 的边界 / no boundary for county 450921"]),
    (lambda f: f[3].update(geometry={"type": "Point", "coordinates": [110.0, 22.0]}),
     ["要素 450922：几何类型应为 Polygon 或 MultiPolygon / the geometry must be a Polygon or MultiPolygon"]),
])
def test_check_boundaries(change, problems):
    assert check_boundaries(yulin_with(change), load_registry_csv().counties) == problems


def test_check_boundaries_of_what_is_not_geojson():
    assert check_boundaries({"type": "Feature"}, ["450902"]) == ["不是 GeoJSON 要素集合（FeatureCollection） / "
                                                                "not a GeoJSON FeatureCollection"]


def test_the_shipped_data_is_package_data():
    """Every file under etl/data is matched by pyproject's package-data, so a wheel carries the subfolders too."""
    import fnmatch
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["etl"]
    files = [p.relative_to(root / "etl").as_posix() for p in (root / "etl" / "data").rglob("*") if p.is_file()]
    assert {"data/divisions/communities.csv.gz", "data/divisions/cities.csv", "data/boundaries/450900.geojson.gz"} \
        <= set(files)
    # fnmatch's * crosses "/", setuptools' does not: compare segment by segment.
    matched = [f for f in files if any(len(f.split("/")) == len(p.split("/")) and fnmatch.fnmatch(f, p)
                                       for p in patterns)]
    assert matched == files


def test_the_builder_reaches_no_database_library():
    from test_contracts import etl_graph, reachable

    databases = ("sqlalchemy", "alembic", "psycopg")
    assert not {m for m in reachable(etl_graph(), "etl.national") if m.split(".")[0] in databases}
