"""Pure figure builders: a DataFrame (and labels) in, a plotly figure out — one look across the app.

A figure is the plain dict plotly.js draws ({"data": [...], "layout": {...}}), not a plotly.graph_objects
Figure: building and validating graph objects (and deep-copying their template) was most of a page's server
time (a 300 ms overview of nine charts). tests/test_dashboard_figures.py loads each one into go.Figure, which
validates every key.
"""
from __future__ import annotations

import math

import pandas as pd

from etl.config import Indicator
from etl.periods import period_sort_key

from .i18n import county_name, fmt_number, fmt_value, period_label, t

FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", ' \
       '"Helvetica Neue", Arial, sans-serif'
CITY_COLOR = "#1f3f66"
TARGET_COLOR = "#6b6b6b"
BASELINE_COLOR = "#a0522d"
INK = "#333333"
# One colour per county, the same on every chart (ColorBrewer Dark2 plus one, muted).
COUNTY_COLORS = {
    "450902": "#1b9e77", "450903": "#d95f02", "450921": "#7570b3", "450922": "#e7298a",
    "450923": "#66a61e", "450924": "#a6761d", "450981": "#386cb0",
}
PALETTE = (*COUNTY_COLORS.values(), "#7f7f7f")


def county_color(code: str, codes=()) -> str:
    """A county's colour: Yulin's own, else by its place among the city's counties (`codes`) in the same palette."""
    if code in COUNTY_COLORS:
        return COUNTY_COLORS[code]
    order = sorted(set(codes))
    return PALETTE[order.index(code) % len(PALETTE)] if code in order else CITY_COLOR


MAP_SCALE = [[0, "#eef3f8"], [0.5, "#8fb3d6"], [1, "#1f3f66"]]
# The little of plotly_white the charts use, written into each layout.
_GRID = "#EBF0F8"
_AXIS = {"gridcolor": _GRID, "linecolor": _GRID, "zerolinecolor": _GRID, "ticks": "", "automargin": True}
TARGET_LINE = {"dash": "dash", "color": TARGET_COLOR, "width": 1.5}


def _numbers(values) -> list:
    """Values for JSON: Python floats, None where missing (NaN and pd.NA are not JSON). Charts hold a few dozen."""
    out = []
    for value in values:
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        out.append(None if math.isnan(number) else number)
    return out


def graph_config(lang: str) -> dict:
    """dcc.Graph config: the user's locale, no plotly logo, no request for map outlines outside the app."""
    return {"locale": "zh-CN" if lang == "zh" else "en", "displaylogo": False, "responsive": True,
            "displayModeBar": False, "topojsonURL": "/assets/topojson/"}


def source_text(period: str | None, lang: str, basis: str = "approved") -> str:
    """"来源：各县（市、区）报表，2015年，已审核" — or "…，含未审核（临时）" when submitted returns are counted."""
    text = t("source", lang, period=period_label(period, lang))
    return text + t("source_approved" if basis == "approved" else "source_current", lang)


TITLE_SIZE = 15
TITLE_LINE = 20          # pixels a line of the title takes
# The widest title line (estimated pixels) that a chart's card holds on a 390 px phone; plotly does not wrap titles.
TITLE_MAX_PX = 300


def text_px(text: str, size: float = TITLE_SIZE) -> float:
    """Roughly how wide a line of text is drawn: a CJK character 1 em, a Latin one ~0.55 em."""
    return sum(size if ord(ch) >= 0x2E80 else 0.55 * size for ch in text)


def wrap_title(title: str, max_px: float = TITLE_MAX_PX, size: float = TITLE_SIZE) -> list[str]:
    """The title's lines, none wider than max_px: broken after a clause ("：", "，", ": ", ", " — so the period
    of "…分布，2015年" starts a line when it does not fit), and a clause still too wide between its words (or CJK
    characters, never before closing punctuation). A comma ending a line is dropped."""
    if text_px(title, size) <= max_px:
        return [title]
    lines, line = [], ""
    for clause in _clauses(title):
        for piece in [clause] if text_px(clause, size) <= max_px else _title_tokens(clause):
            if line.strip() and text_px((line + piece).rstrip(), size) > max_px:
                lines.append(line)
                line = piece.lstrip()
            else:
                line += piece
    lines.append(line)
    return [ln.rstrip().rstrip("，,") for ln in lines[:-1]] + [lines[-1].rstrip()]


def _clauses(text: str) -> list[str]:
    """The text cut after each "：" and "，" and each ": " and ", " (the space kept with its clause)."""
    out, clause = [], ""
    for i, ch in enumerate(text):
        clause += ch
        if ch in "：，" or (ch == " " and i and text[i - 1] in ":,"):
            out.append(clause)
            clause = ""
    return out + ([clause] if clause else [])


def _title_tokens(text: str) -> list[str]:
    """Words with their following space, single CJK characters, closing punctuation kept with what precedes it."""
    import re
    tokens = re.findall(r"[^\s\u2e80-\uffff]+\s*|[\u2e80-\uffff]\s*|\s+", text)
    out: list[str] = []
    for token in tokens:
        if out and token[0] in "，。、；：）」』》,.;:)%":
            out[-1] += token
        else:
            out.append(token)
    return out


def _style(fig: dict, title: str, source: str, height: int = 340, legend: bool = False) -> dict:
    layout = fig.setdefault("layout", {})
    # The source line sits under the plot, below the x axis's title when there is one (not on top of it).
    below = 18 if (layout.get("xaxis", {}).get("title") or {}).get("text") else 0
    lines = wrap_title(title)
    layout.update(
        paper_bgcolor="white", plot_bgcolor="white", colorway=list(COUNTY_COLORS.values()), hovermode="closest",
        height=height, font={"family": FONT, "size": 13, "color": INK},
        # From the top down, so that a title of two lines pushes the plot down instead of leaving the figure.
        # plotly.js draws a title of several lines 11 px higher than one of one line: its pad makes up for it.
        title={"text": "<br>".join(lines), "x": 0, "xanchor": "left", "y": 1, "yref": "container",
               "yanchor": "top", "pad": {"t": 14 if len(lines) == 1 else 25, "l": 2}, "font": {"size": TITLE_SIZE}},
        margin={"l": 56, "r": 16, "t": 32 + TITLE_LINE * len(lines), "b": (96 if legend else 68) + below},
        showlegend=legend,
        hoverlabel={"font": {"family": FONT}}, legend={"orientation": "h", "y": 0, "yref": "container", "x": 0,
                                                       "yanchor": "bottom"},
        separators=".,",
    )
    for axis in ("xaxis", "yaxis"):
        layout[axis] = {**_AXIS, **layout.get(axis, {})}
    layout.setdefault("annotations", []).append(
        {"text": source, "xref": "paper", "yref": "paper", "x": 0, "y": 0,
         "yshift": (-54 if legend else -52) - below,
         "showarrow": False, "xanchor": "left", "yanchor": "top", "font": {"size": 11, "color": "#777777"}})
    return fig


def _line_at(fig: dict, value: float, label: str, horizontal: bool, label_side: str = "left") -> None:
    """A dashed reference line across the plot (a target, a standard) with its label at the top or left."""
    layout = fig.setdefault("layout", {})
    if horizontal:
        shape = {"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": value, "y1": value}
        note = {"xref": "x domain", "x": 0, "yref": "y", "y": value, "xanchor": "left", "yanchor": "bottom"}
    else:
        shape = {"type": "line", "xref": "x", "x0": value, "x1": value, "yref": "y domain", "y0": 0, "y1": 1}
        note = {"xref": "x", "x": value, "yref": "y domain", "y": 1, "yanchor": "bottom",
                "xanchor": "center" if label_side == "center" else "left"}
    layout.setdefault("shapes", []).append({**shape, "line": TARGET_LINE})
    layout.setdefault("annotations", []).append({**note, "text": label, "showarrow": False,
                                                 "font": {"color": TARGET_COLOR}})


def _axis_title(ind: Indicator, lang: str) -> str:
    """The unit (the chart's title names the measure): 个 / % / m² …; English counts say "communities"."""
    unit = ind.unit_label(lang)
    if not unit:
        return "communities" if ind.table == "community" else "count"
    return f"单位：{unit}" if lang == "zh" else unit


def _target_line(fig: dict, ind: Indicator, lang: str, horizontal: bool = True) -> None:
    if ind.target is not None:
        _line_at(fig, ind.target, f"{t('target', lang)} {fmt_number(ind.target, ind.unit)}", horizontal,
                 label_side="center")


def period_x(period: str) -> float:
    """A period's place on a time axis: 2015 → 2015.0, 2015Q3 → 2015.625 (the middle of the quarter's span), so
    that 2015 and 2026 stand eleven years apart, not side by side."""
    year, quarter = period_sort_key(period)
    return float(year) if not quarter else year + (quarter - 0.5) / 4


def _time_axis(periods, lang: str) -> dict:
    """A numeric x axis spaced by time, ticked at the periods shown, labelled as officials write them."""
    periods = sorted(set(periods), key=period_sort_key)
    xs = [period_x(p) for p in periods]
    pad = 0.5 if len(xs) < 2 else max(0.35, (max(xs) - min(xs)) * 0.06)
    axis = {"type": "linear", "tickmode": "array", "tickvals": xs, "ticktext": [period_label(p, lang) for p in periods],
            "title": {"text": None}, "zeroline": False}
    if xs:
        axis["range"] = [min(xs) - pad, max(xs) + pad]
    return axis


def trend(series: pd.DataFrame, ind: Indicator, lang: str, title: str, source: str, baseline: str | None,
          extra: pd.DataFrame | None = None, extra_name: str = "", extra_color: str = CITY_COLOR,
          incomplete: frozenset[str] | set[str] = frozenset()) -> dict:
    """A line over the periods (rows period, value) on a time axis, the target dashed and the baseline marked.

    `extra` (same columns) draws a second line first, e.g. the city beside a county. `incomplete`: periods whose
    city figures cover only the counties that reported — drawn apart as hollow points, never on the city's line.
    """
    city_is_extra = extra is not None
    lines = [(extra, extra_name, extra_color, True)] if city_is_extra else []
    lines.append((series, t("city", lang) if not city_is_extra else series.attrs.get("name", ""),
                  series.attrs.get("color", CITY_COLOR), not city_is_extra))
    data, shown = [], []
    for frame, name, color, is_city in lines:
        frame = frame.sort_values("period", key=lambda s: s.map(period_sort_key))
        apart = frame["period"].isin(incomplete) if is_city else pd.Series(False, index=frame.index)
        for part, dashed in ((frame[~apart], False), (frame[apart], True)):
            if part.empty:
                continue
            values = _numbers(part["value"])
            label = t("incomplete_series", lang) if dashed else name
            shown += list(part["period"])
            data.append({"type": "scatter", "x": [period_x(p) for p in part["period"]], "y": values, "name": label,
                         "mode": "markers" if dashed else "lines+markers", "line": {"color": color, "width": 2.5},
                         "marker": ({"size": 9, "symbol": "circle-open", "color": color, "line": {"width": 2}}
                                    if dashed else {"size": 7}),
                         "text": [period_label(p, lang) for p in part["period"]],
                         "customdata": [fmt_value(v, ind.unit, lang) for v in values],
                         "hovertemplate": f"{label}<br>%{{text}}：%{{customdata}}<extra></extra>"})
    base = series[series["period"] == baseline] if baseline else series.iloc[0:0]
    if len(base):
        # The mark sits on the point and its word above it, clear of the axis's tick labels.
        data.append({"type": "scatter", "x": [period_x(baseline)], "y": _numbers(base["value"]),
                     "mode": "markers+text", "name": t("baseline", lang), "showlegend": False,
                     "marker": {"size": 12, "symbol": "diamond-open", "color": BASELINE_COLOR, "line": {"width": 2}},
                     "text": [t("baseline", lang)], "textposition": "top center",
                     "textfont": {"color": BASELINE_COLOR}, "hoverinfo": "skip", "cliponaxis": False})
    fig = {"data": data, "layout": {
        "xaxis": _time_axis(shown, lang),
        "yaxis": {"title": {"text": _axis_title(ind, lang)}, "rangemode": "tozero", "separatethousands": True}}}
    _target_line(fig, ind, lang)
    legend = city_is_extra or any(p in incomplete for p in shown)
    return _style(fig, title, source, height=300, legend=legend)


def county_map(county_values: pd.DataFrame, geojson: dict, ind: Indicator, lang: str, title: str,
               source: str) -> dict:
    """A choropleth of the city's counties (rows area_code, area_name, value) from its boundaries, each
    labelled where no label hides another (a line back to its county when it had to move), in a colour read on its
    own fill, with a halo for any other."""
    codes = county_values["area_code"].tolist()
    names = [county_name(c, n, lang) for c, n in zip(codes, county_values["area_name"])]
    values = _numbers(county_values["value"])
    data = [{"type": "choropleth", "geojson": geojson, "featureidkey": "id", "locations": codes, "z": values,
             "colorscale": MAP_SCALE, "marker": {"line": {"color": "white", "width": 1.2}}, "text": names,
             "customdata": [fmt_value(v, ind.unit, lang) for v in values],
             "hovertemplate": "%{text}<br>%{customdata}<extra></extra>", "zmin": 0,
             "colorbar": {"title": {"text": ind.unit_label(lang) or ""}, "thickness": 12, "len": 0.7}}]
    data += _map_labels(codes, names, values, geojson, lang)
    fig = {"data": data, "layout": {"geo": {"visible": False, "fitbounds": "locations",
                                            "projection": {"type": "mercator"}, "bgcolor": "rgba(0,0,0,0)"}}}
    fig = _style(fig, title, source, height=400)
    # No axes to make room for: the map takes the width, and the height down to the source line under it.
    fig["layout"]["margin"].update(l=8, b=40)
    fig["layout"]["annotations"][-1]["yshift"] = -22
    return fig


MAP_LABEL_SIZE = 11
# The map's smallest scale, pixels a degree of longitude (a 390 px phone; a desktop's is larger): labels placed
# apart at this scale stay apart at any larger one. tests/browser/test_phone_and_exports.py measures the drawn map.
MAP_MIN_PX_PER_DEGREE = 140
_HALO = "-1px -1px 0 {c}, 1px -1px 0 {c}, -1px 1px 0 {c}, 1px 1px 0 {c}, 0 0 3px {c}"


def map_label_text(name: str, lang: str) -> str:
    """The label on the map: the county's name; in English without "District" / "County" / "City", which the
    hover gives (four long names made one cluster)."""
    if lang == "en":
        for suffix in (" District", " County", " City"):
            if name.endswith(suffix):
                return name[:-len(suffix)]
    return name


def map_label_box(text: str, size: int = MAP_LABEL_SIZE) -> tuple[float, float]:
    """A label's width and height in pixels, generously: CJK characters are 1 em wide, Latin ones ~0.62 em; the
    halo adds a few pixels."""
    width = sum(size if ord(ch) >= 0x2E80 else 0.62 * size for ch in text)
    return width + 6, size * 1.5


def _fill_is_dark(value: float | None, values: list) -> bool:
    """Whether the colour scale paints this value dark enough for white text (relative luminance under 0.18)."""
    top = max((v for v in values if v is not None), default=None)
    if value is None or not top:
        return False
    share = min(max(value / top, 0.0), 1.0)
    for (a, low), (b, high) in zip(MAP_SCALE, MAP_SCALE[1:]):
        if share <= b:
            f = (share - a) / (b - a) if b > a else 0.0
            rgb = [int(low[i:i + 2], 16) + f * (int(high[i:i + 2], 16) - int(low[i:i + 2], 16)) for i in (1, 3, 5)]
            break
    linear = [(c / 255) / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2] < 0.18


def _map_labels(codes: list, names: list, values: list, geojson: dict, lang: str) -> list[dict]:
    """The label trace (and the lines of labels moved off their county) of county_map."""
    from .geo import inside, place_labels
    import numpy as np
    features = {f["id"]: f for f in geojson["features"]}
    shown = [(c, n, v) for c, n, v in zip(codes, names, values)
             if c in features and (features[c]["properties"].get("label_point")
                                   or features[c]["properties"].get("centroid"))]
    if not shown:
        return []
    rings = {c: np.asarray((features[c]["geometry"]["coordinates"] if features[c]["geometry"]["type"] == "Polygon"
                            else features[c]["geometry"]["coordinates"][0])[0], dtype=float) for c, _, _ in shown}
    # Larger counties keep their label's place; a small one squeezed between them moves.
    by_size = sorted(shown, key=lambda s: -float(np.ptp(rings[s[0]][:, 0]) * np.ptp(rings[s[0]][:, 1])))
    anchors = {c: tuple(features[c]["properties"].get("label_point") or features[c]["properties"]["centroid"])
               for c, _, _ in by_size}
    texts = {c: map_label_text(n, lang) for c, n, _ in shown}
    every = np.vstack(list(rings.values()))
    bounds = (*every.min(axis=0), *every.max(axis=0))
    spots = place_labels(anchors, {c: map_label_box(texts[c]) for c in anchors}, MAP_MIN_PX_PER_DEGREE, bounds)
    lon, lat, text, colours, halos, line_lon, line_lat = [], [], [], [], [], [], []
    for code, name, value in shown:
        x, y = spots[code]
        on_own = bool(inside(rings[code], np.array([x]), np.array([y]))[0])
        dark = on_own and _fill_is_dark(value, values)
        lon.append(x)
        lat.append(y)
        text.append(texts[code])
        colours.append("white" if dark else INK)
        halos.append(_HALO.format(c=CITY_COLOR if dark else "white"))
        if (x, y) != anchors[code]:
            line_lon += [anchors[code][0], x, None]
            line_lat += [anchors[code][1], y, None]
    labels = [{"type": "scattergeo", "lon": lon, "lat": lat, "text": text, "mode": "text", "name": "labels",
               "textfont": {"size": MAP_LABEL_SIZE, "color": colours, "family": FONT, "shadow": halos},
               "hoverinfo": "skip", "showlegend": False}]
    if line_lon:
        labels.insert(0, {"type": "scattergeo", "lon": line_lon, "lat": line_lat, "mode": "lines",
                          "name": "label lines", "line": {"color": INK, "width": 0.8}, "hoverinfo": "skip",
                          "showlegend": False})
    return labels


def ranking(county_values: pd.DataFrame, ind: Indicator, lang: str, title: str, source: str) -> dict:
    """Counties ranked by the indicator, best at the top, in each county's own colour."""
    ascending = ind.direction != "down"
    df = county_values.sort_values("value", ascending=ascending, na_position="first")
    names = [county_name(c, n, lang) for c, n in zip(df["area_code"], df["area_name"])]
    values = _numbers(df["value"])
    shown = [fmt_value(v, ind.unit, lang) for v in values]
    fig = {"data": [{"type": "bar", "x": values, "y": names, "orientation": "h", "text": shown,
                     "textposition": "auto", "customdata": shown,
                     "marker": {"color": [county_color(c, df["area_code"]) for c in df["area_code"]]},
                     "hovertemplate": "%{y}：%{customdata}<extra></extra>"}],
           "layout": {"xaxis": {"title": {"text": _axis_title(ind, lang)}, "rangemode": "tozero",
                                "separatethousands": True},
                      "yaxis": {"title": {"text": None}, "automargin": True}}}
    _target_line(fig, ind, lang, horizontal=False)
    return _style(fig, title, source, height=400)


def area_histogram(rows: pd.DataFrame, lang: str, title: str, source: str, color: str = CITY_COLOR) -> dict:
    """The communities' service premises in 100 m² bins, with the 300 / 500 / 1,000 m² standards marked."""
    area = pd.to_numeric(rows["service_area_m2"], errors="coerce").dropna()
    fig = {"data": [{"type": "histogram", "x": area.astype(float).tolist(), "xbins": {"start": 0, "size": 100},
                     "marker": {"color": color, "line": {"color": "white", "width": 1}},
                     "hovertemplate": ("%{x} ㎡：%{y} 个社区" if lang == "zh" else "%{x} m²: %{y} communities")
                     + "<extra></extra>"}],
           "layout": {"xaxis": {"title": {"text": t("area_axis", lang)}, "rangemode": "tozero",
                                "separatethousands": True},
                      "yaxis": {"title": {"text": t("communities_axis", lang)}}}}
    for threshold in (300, 500, 1000):
        _line_at(fig, threshold, f"{threshold:,}", horizontal=False)
    return _style(fig, title, source, height=320)


def leader_bars(acc: pd.DataFrame, lang: str, title: str, source: str, baseline: str | None = None) -> dict:
    """Per leader level: the distinct communities its leaders link, and how many of them met the premises
    standard at the baseline (`baseline`, the period named in the legend; no such bars without one) and now.

    acc: etl.compute.scorecard.leader_accountability's rows. A community linked by three leaders of a level counts once;
    the links themselves are in the hover.
    """
    levels = [("厅级", t("prefecture", lang)), ("县级", t("county_level", lang))]
    then = ([("codes_meeting_baseline", t("meets_baseline_in", lang, period=period_label(baseline, lang)),
              BASELINE_COLOR)] if baseline else [])
    series = [("community_codes", t("linked", lang), "#c9d6e3"), *then,
              ("codes_meeting_now", t("meets_now", lang), CITY_COLOR)]
    of_level = [acc[acc["leader_level"] == lv] if len(acc) else acc for lv, _ in levels]
    colon = "：" if lang == "zh" else ": "
    links = [f"{t('links', lang)}{colon}{int(rows['communities'].sum()):,}" for rows in of_level]
    data = []
    for column, name, color in series:
        ys = [len({code for codes in rows[column] for code in codes}) for rows in of_level]
        hover = f"{name}{colon}%{{y:,}}"
        bar = {"type": "bar", "x": [label for _, label in levels], "y": ys, "name": name,
               "marker": {"color": color}, "text": [f"{y:,}" for y in ys], "textposition": "outside",
               "hovertemplate": hover + "<extra></extra>"}
        if column == "community_codes":
            bar.update(customdata=links, hovertemplate=hover + "<br>%{customdata}<extra></extra>")
        data.append(bar)
    fig = {"data": data, "layout": {"barmode": "group",
                                    "yaxis": {"title": {"text": t("communities_axis", lang)}, "rangemode": "tozero"}}}
    fig = _style(fig, title, source, height=360, legend=True)
    fig["layout"]["margin"]["b"] += 40     # in a narrow card the legend wraps to three lines: clear of the source
    return fig
