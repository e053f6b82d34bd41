"""County boundaries made by code for the tests: one rectangle a county."""
from __future__ import annotations


def rectangles(registry, skip: str | None = None) -> dict:
    """Boundaries made of one clockwise rectangle a county, side by side."""
    features = []
    for n, code in enumerate(sorted(registry.counties)):
        if code == skip:
            continue
        x, y = 110 + n * 0.2, 21.0
        ring = [[x, y], [x, y + 0.2], [x + 0.2, y + 0.2], [x + 0.2, y], [x, y]]      # clockwise
        features.append({"type": "Feature", "id": code, "properties": {"name": registry.counties[code]},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return {"type": "FeatureCollection", "features": features}
