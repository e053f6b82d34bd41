"""The county map's labels stand apart and read on any fill; chart titles wrap before they are cut (issue 12).
tests/browser/test_phone_and_exports.py checks the same on the drawn charts at 390 and 1440 px."""
from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard import figures
from dashboard.geo import counties_geojson, inside, place_labels
from etl.config import indicator_map

NAMES = {"450902": "玉州区", "450903": "福绵区", "450921": "容县", "450922": "陆川县", "450923": "博白县",
         "450924": "兴业县", "450981": "北流市"}


def county_values(values: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"area_code": list(values), "area_name": [NAMES[c] for c in values],
                         "value": list(values.values())})


AREA_2015 = {"450902": 55, "450903": 1, "450921": 8, "450922": 6, "450923": 17, "450924": 6, "450981": 34}


def labels_of(fig: dict) -> dict:
    return next(t for t in fig["data"] if t.get("mode") == "text")


def boxes(labels: dict) -> list[tuple]:
    """Each label's box (west, south, east, north) in degrees at the map's smallest scale."""
    out = []
    for text, lon, lat in zip(labels["text"], labels["lon"], labels["lat"]):
        width, height = figures.map_label_box(text)
        half_w = width / 2 / figures.MAP_MIN_PX_PER_DEGREE
        half_h = height / 2 / figures.MAP_MIN_PX_PER_DEGREE * np.cos(np.radians(lat))
        out.append((lon - half_w, lat - half_h, lon + half_w, lat + half_h))
    return out


def apart(boxes: list[tuple]) -> bool:
    return not any(a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
                   for i, a in enumerate(boxes) for b in boxes[i + 1:])


def test_each_label_point_lies_inside_its_county():
    for feature in counties_geojson()["features"]:
        ring = np.asarray(feature["geometry"]["coordinates"][0], dtype=float)
        lon, lat = feature["properties"]["label_point"]
        assert inside(ring, np.array([lon]), np.array([lat]))[0], feature["id"]


@pytest.mark.parametrize("lang, texts", [
    ("zh", {"玉州区", "福绵区", "容县", "陆川县", "博白县", "兴业县", "北流市"}),
    ("en", {"Yuzhou", "Fumian", "Rong", "Luchuan", "Bobai", "Xingye", "Beiliu"})])
def test_the_seven_labels_stand_apart(lang, texts):
    fig = figures.county_map(county_values(AREA_2015), counties_geojson(), indicator_map()["area_ge_500"], lang,
                             "t", "s")
    go.Figure(fig)                                         # plotly validates every key, textfont.shadow too
    labels = labels_of(fig)
    assert set(labels["text"]) == texts
    assert len(set(zip(labels["lon"], labels["lat"]))) == 7
    assert apart(boxes(labels))
    choropleth = fig["data"][0]
    assert "Yuzhou District" in choropleth["text"] if lang == "en" else "玉州区" in choropleth["text"]  # hover


def test_crowded_labels_move_apart_with_a_line_back_to_their_county():
    # Every county's label point on 玉州区's: six must move, each with a line from its own point.
    crowded = copy.deepcopy(counties_geojson())
    centre = next(f for f in crowded["features"] if f["id"] == "450902")["properties"]["label_point"]
    for feature in crowded["features"]:
        feature["properties"]["label_point"] = list(centre)
    fig = figures.county_map(county_values(AREA_2015), crowded, indicator_map()["area_ge_500"], "en", "t", "s")
    labels = labels_of(fig)
    assert apart(boxes(labels))
    lines = next(t for t in fig["data"] if t.get("mode") == "lines")
    assert lines["lon"].count(None) == 6 and lines["lon"][0::3] == [centre[0]] * 6


def test_place_labels_keeps_boxes_within_the_bounds_and_anchors_when_free():
    anchors = {"a": (110.0, 22.5), "b": (110.0, 22.5), "c": (110.6, 22.9)}
    spots = place_labels(anchors, {k: (60, 16) for k in anchors}, 140, (109.5, 21.6, 110.9, 23.1))
    assert spots["a"] == anchors["a"] and spots["c"] == anchors["c"] and spots["b"] != anchors["b"]
    half_w, half_h = 30 / 140, 8 / 140
    for lon, lat in spots.values():
        assert 109.5 <= lon - half_w and lon + half_w <= 110.9 and 21.6 <= lat - half_h and lat + half_h <= 23.1


def test_label_colour_follows_its_fill_and_every_label_has_a_halo():
    ind = indicator_map()["area_ge_500"]
    labels = labels_of(figures.county_map(county_values(AREA_2015), counties_geojson(), ind, "zh", "t", "s"))
    colours = dict(zip(labels["text"], labels["textfont"]["color"]))
    assert colours.pop("玉州区") == "white" and set(colours.values()) == {figures.INK}
    everywhere = county_values({c: 100 for c in NAMES})
    labels = labels_of(figures.county_map(everywhere, counties_geojson(), ind, "zh", "t", "s"))
    assert set(labels["textfont"]["color"]) == {"white"}
    assert all(halo.count("px") >= 8 for halo in labels["textfont"]["shadow"])


@pytest.mark.parametrize("title, lines", [
    ("城市社区服务用房达500㎡比例", ["城市社区服务用房达500㎡比例"]),
    ("服务用房500㎡以上社区数：各县（市、区）分布，2015年", ["服务用房500㎡以上社区数：", "各县（市、区）分布，2015年"]),
    ("Communities with ≥ 500 m² premises by county, 2015", ["Communities with ≥ 500 m² premises", "by county, 2015"]),
    ("Yuzhou District against the city, 2015", ["Yuzhou District against the city", "2015"]),
    ("Linked communities meeting the premises standard: baseline and now, 2015",
     ["Linked communities meeting the", "premises standard: baseline and now", "2015"]),
])
def test_a_long_title_wraps_before_its_period_and_between_words(title, lines):
    assert figures.wrap_title(title) == lines
    assert all(figures.text_px(line) <= figures.TITLE_MAX_PX for line in lines)


def test_a_wrapped_title_makes_room_above_the_plot():
    one = figures._style({"data": []}, "短标题", "s")["layout"]
    two = figures._style({"data": []}, "服务用房500㎡以上社区数：各县（市、区）分布，2015年", "s")["layout"]
    assert two["title"]["text"].count("<br>") == 1
    assert two["margin"]["t"] - one["margin"]["t"] == figures.TITLE_LINE
