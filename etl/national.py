"""Any city's registry from China's statistical division codes shipped with shequ, and its county boundaries."""
from __future__ import annotations

import csv
import gzip
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from etl.read.clean import squash
from etl.read.problems import ShequError
from etl import registry as reg
from etl.names_en import romanise
from etl.registry import Community, Registry

URBAN, TOWNSHIP = "城市社区", "乡镇社区"
# City-level names in the codes that are not a city's: a municipality's 市辖区 (and Chongqing's 县), a province's
# 省直辖县级行政区划. They are named by code; a municipality as a whole by its own name (北京市, 110000).
PLACEHOLDERS = ("市辖区", "县", "省直辖县级行政区划")
LISTED = 12          # names an error lists at most


def _read(*parts: str) -> bytes:
    return resources.files("etl").joinpath("data", *parts).read_bytes()


@dataclass(frozen=True)
class CityUnit:
    """A city-level unit of the national codes (not to be confused with etl.registry.City, the city a
    database serves)."""

    code: str        # 6 digits: 450900; a municipality is its province's code, 110000
    name: str        # as the codes write it: 玉林市, 市辖区; a municipality's: 北京市
    province: str

    @property
    def label(self) -> str:
        """The name a person knows it by: 玉林市; a placeholder with its province, 北京市市辖区."""
        return self.province + self.name if self.name in PLACEHOLDERS else self.name

    @property
    def prefix(self) -> str:
        """The leading digits of its communities' codes: 4509; a municipality's 11 (all its city-level units)."""
        return self.code[:2] if self.code.endswith("0000") else self.code[:4]


@lru_cache(maxsize=1)
def cities() -> dict[str, CityUnit]:
    """Every city-level unit of the codes by 6-digit code, and each municipality as a city of its own (110000)."""
    rows = csv.DictReader(_read("divisions", "cities.csv").decode("utf-8").splitlines())
    out = {r["code"]: CityUnit(r["code"], r["name"], r["province"]) for r in rows}
    by_province: dict[str, list[CityUnit]] = {}
    for city in out.values():
        by_province.setdefault(city.code[:2], []).append(city)
    for prefix, members in by_province.items():
        if all(c.name in ("市辖区", "县") for c in members):
            out[prefix + "0000"] = CityUnit(prefix + "0000", members[0].province, members[0].province)
    return dict(sorted(out.items()))


@lru_cache(maxsize=1)
def _communities() -> dict[str, list[tuple[str, str, str, str]]]:
    """The shipped village-level units named 社区, (code, name, township name, county name), by 4-digit city code:
    read once a process (0.2 s for all 111,430)."""
    text = gzip.decompress(_read("divisions", "communities.csv.gz")).decode("utf-8")
    out: dict[str, list[tuple[str, str, str, str]]] = {}
    reader = csv.reader(text.splitlines())
    next(reader)                                   # code,name,township_name,county_name
    for code, name, township_name, county_name in reader:
        out.setdefault(code[:4], []).append((code, name, township_name, county_name))
    return out


def _listing(found: Iterable[CityUnit]) -> str:
    found = list(found)
    shown = "、".join(f"{c.code} {c.label}" for c in found[:LISTED])
    return shown + (f" 等{len(found)}个" if len(found) > LISTED else "")


def _by_code(digits: str) -> tuple[str, str]:
    known = cities()
    code = digits + "00" if len(digits) == 4 else digits
    if len(digits) in (4, 6) and code in known:
        return code, known[code].label
    if len(digits) == 6 and digits.endswith("0000"):
        inside = [c for c in known.values() if c.code.startswith(digits[:2])]
        if inside:
            raise ShequError(f"{digits} 是省级代码，请指定其中的城市：{_listing(inside)} / "
                             f"{digits} is a province's code: name one of its cities")
    county = next((row[3] for row in _communities().get(digits[:4], []) if row[0].startswith(digits)), None)
    if len(digits) == 6 and county and digits[:4] + "00" in known:
        city = known[digits[:4] + "00"]
        raise ShequError(f"{digits} 是{city.label}{county}的县级代码，城市代码为 {city.code} / "
                         f"{digits} is a county's code; its city is {city.code}")
    raise ShequError(f"区划代码中没有代码为 {digits} 的城市（城市代码为4位或6位，如 4504、450400） / "
                     f"no city has the code {digits} (a city's code has 4 or 6 digits: 4504, 450400)")


def find_city(text: str) -> tuple[str, str]:
    """A city's 6-digit code and name from its code (450400, 4504) or name (梧州市, or 梧州 when only one starts so);
    a ShequError listing what matched when the name is unknown or ambiguous."""
    s = squash(text)
    if not s:
        raise ShequError("请给出城市名称或代码（如 梧州市、450400） / name a city, or give its code (梧州市, 450400)")
    if s.isdigit():
        return _by_code(s)
    known = [c for c in cities().values() if c.name not in PLACEHOLDERS]
    if s in PLACEHOLDERS:
        named = [c for c in cities().values() if c.name == s]
        raise ShequError(f"“{s}”不是城市名称，请用代码：{_listing(named)}；直辖市用其名称（如 北京市 / 110000） / "
                         f"'{s}' is not a city's name: use a code (a municipality by its name, 北京市 / 110000)")
    for matched in ([c for c in known if c.name == s], [c for c in known if c.name.startswith(s)]):
        if len(matched) == 1:
            return matched[0].code, matched[0].label
        if matched:
            raise ShequError(f"“{s}”可指{len(matched)}个城市：{_listing(matched)}；请写全称或用代码 / "
                             f"'{s}' matches {len(matched)} cities: give the full name or the code")
    near = [c for c in known if s and (s in c.name or c.province.startswith(s) or c.name.rstrip("市") in s)]
    hint = f"；相近的有：{_listing(near)}" if near else ""
    raise ShequError(f"区划代码中没有名为“{s}”的城市{hint}（可用名称或代码，如 梧州市、450400） / "
                     f"no city is named '{s}' in the division codes (name it, 梧州市, or give its code, 450400)")


def _served(code6: str) -> reg.City:
    label = cities()[code6].label
    name_en = reg.DEFAULT_CITY.name_en if code6 == reg.DEFAULT_CITY.code else romanise(label)
    return reg.City(code6, label, name_en)


def city_of(text: str) -> reg.City:
    """The city a database would serve, by its code or name (find_city): 梧州市 → 450400 梧州市 Wuzhou City."""
    return _served(find_city(text)[0])


@lru_cache(maxsize=32)
def _registry(code6: str) -> Registry:
    prefix = cities()[code6].prefix
    rows = [row for city, city_rows in _communities().items() if city.startswith(prefix) for row in city_rows]
    return Registry(tuple(
        Community(code, name, code[:9], township_name, code[:6], county_name,
                  URBAN if township_name.endswith("街道") else TOWNSHIP)
        for code, name, township_name, county_name in sorted(rows)), _served(code6))


def city_registry(text: str) -> Registry:
    """A city's registry by the rule (spec registry.md, "Which communities a city has"): every village-level unit of
    the city whose name has 社区; urban (城市社区) when its township's name ends with 街道, township (乡镇社区) otherwise."""
    return _registry(find_city(text)[0])


def city_boundaries(code6: str) -> dict | None:
    """The city's county boundaries shipped with shequ (Guangxi's 14 cities; feature id = 6-digit county code,
    exterior rings clockwise as Plotly expects), a fresh dict each call; None for a city without them."""
    path = resources.files("etl").joinpath("data", "boundaries", f"{code6}.geojson.gz")
    if not (len(code6) == 6 and code6.isdigit() and path.is_file()):
        return None
    return json.loads(gzip.decompress(path.read_bytes()).decode("utf-8"))


def ring_area(ring: list) -> float:
    """Twice the ring's signed area in square degrees: negative when it runs clockwise (lon east, lat north)."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:]))


def _ring_problems(ring: object, where: str, exterior: bool) -> list[str]:
    if not isinstance(ring, list) or len(ring) < 4:
        return [f"{where}：环少于4个点 / a ring with fewer than 4 positions"]
    if not all(isinstance(p, list) and len(p) >= 2 and all(isinstance(v, (int, float)) and math.isfinite(v)
                                                            for v in p[:2]) for p in ring):
        return [f"{where}：坐标不是数字 / a position that is not a pair of numbers"]
    if any(not (-180 <= p[0] <= 180 and -90 <= p[1] <= 90) for p in ring):
        return [f"{where}：坐标超出经纬度范围 / a position outside longitude and latitude"]
    if ring[0][:2] != ring[-1][:2]:
        return [f"{where}：环未闭合（首尾点不同） / a ring not closed"]
    area = ring_area(ring)
    if area == 0:
        return [f"{where}：环的面积为零 / a ring of no area"]
    if exterior and area > 0:
        return [f"{where}：外环应为顺时针 / an exterior ring must run clockwise (as Plotly draws it)"]
    if not exterior and area < 0:
        return [f"{where}：内环（洞）应为逆时针 / a hole must run counterclockwise"]
    return []


def _geometry_problems(geometry: object, where: str) -> list[str]:
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in ("Polygon", "MultiPolygon") or not isinstance(geometry.get("coordinates"), list):
        return [f"{where}：几何类型应为 Polygon 或 MultiPolygon / the geometry must be a Polygon or MultiPolygon"]
    polygons = [geometry["coordinates"]] if kind == "Polygon" else geometry["coordinates"]
    problems = []
    for p, polygon in enumerate(polygons):
        if not isinstance(polygon, list) or not polygon:
            problems.append(f"{where}：多边形 {p + 1} 为空 / polygon {p + 1} is empty")
            continue
        for r, ring in enumerate(polygon):
            problems += _ring_problems(ring, f"{where} 多边形{p + 1} 环{r + 1}", exterior=r == 0)
    return problems


def check_boundaries(geojson: dict, county_codes: Iterable[str] | Mapping[str, str]) -> list[str]:
    """What is wrong with county boundaries (a user's file) for these counties (codes, or code → name): a county
    without a feature, an id twice, a feature without an id, a geometry that is not valid polygons with clockwise
    exterior rings. A feature of another county (one with no 社区) is not a problem. [] when the file will do."""
    if not isinstance(geojson, dict) or geojson.get("type") != "FeatureCollection" \
            or not isinstance(geojson.get("features"), list):
        return ["不是 GeoJSON 要素集合（FeatureCollection） / not a GeoJSON FeatureCollection"]
    names = dict(county_codes) if isinstance(county_codes, Mapping) else {c: "" for c in county_codes}
    problems, seen, labels = [], {}, {}
    for n, feature in enumerate(geojson["features"], start=1):
        feature = feature if isinstance(feature, dict) else {}
        props = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
        code = str(feature.get("id") or props.get("county_code") or "")
        if not code:
            problems.append(f"第{n}个要素没有 id（6位县级代码） / feature {n} has no id (the 6-digit county code)")
            continue
        if code in seen:
            problems.append(f"县级代码 {code} 出现两次（第{seen[code]}、{n}个要素） / county {code} appears twice")
        seen.setdefault(code, n)
        labels.setdefault(code, f"{code} {props.get('name') or ''}".strip())
        problems += _geometry_problems(feature.get("geometry"), f"要素 {code}")
    others = [label for code, label in labels.items() if code not in names]
    for code, name in names.items():
        if code not in seen:
            hint = f"；文件中另有名录以外的 {'、'.join(others)}（代码是否已变更？）" if others else ""
            problems.append(f"缺少 {code} {name}".rstrip() + f" 的边界{hint} / no boundary for county {code}")
    return problems
