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


def _style(fig: dict, title: str, source: str, height: int = 340, legend: bool = False) -> dict:
    layout = fig.setdefault("layout", {})
    # The source line sits under the plot, below the x axis's title when there is one (not on top of it).
    below = 18 if (layout.get("xaxis", {}).get("title") or {}).get("text") else 0
    layout.update(
        paper_bgcolor="white", plot_bgcolor="white", colorway=list(COUNTY_COLORS.values()), hovermode="closest",
        height=height, font={"family": FONT, "size": 13, "color": INK},
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        margin={"l": 56, "r": 16, "t": 52, "b": (96 if legend else 68) + below}, showlegend=legend,
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
    """A choropleth of the 7 counties (rows area_code, area_name, value) from the shipped boundaries."""
    codes = county_values["area_code"].tolist()
    names = [county_name(c, n, lang) for c, n in zip(codes, county_values["area_name"])]
    values = _numbers(county_values["value"])
    data = [{"type": "choropleth", "geojson": geojson, "featureidkey": "id", "locations": codes, "z": values,
             "colorscale": MAP_SCALE, "marker": {"line": {"color": "white", "width": 1.2}}, "text": names,
             "customdata": [fmt_value(v, ind.unit, lang) for v in values],
             "hovertemplate": "%{text}<br>%{customdata}<extra></extra>", "zmin": 0,
             "colorbar": {"title": {"text": ind.unit_label(lang) or ""}, "thickness": 12, "len": 0.7}}]
    centroids = {f["id"]: f["properties"].get("centroid") for f in geojson["features"]}
    located = [(centroids.get(c), n) for c, n in zip(codes, names) if centroids.get(c)]
    if located:
        data.append({"type": "scattergeo", "lon": [c[0] for c, _ in located], "lat": [c[1] for c, _ in located],
                     "text": [n for _, n in located], "mode": "text",
                     "textfont": {"size": 11, "color": INK, "family": FONT}, "hoverinfo": "skip",
                     "showlegend": False})
    fig = {"data": data, "layout": {"geo": {"visible": False, "fitbounds": "locations",
                                            "projection": {"type": "mercator"}, "bgcolor": "rgba(0,0,0,0)"}}}
    return _style(fig, title, source, height=400)


def ranking(county_values: pd.DataFrame, ind: Indicator, lang: str, title: str, source: str) -> dict:
    """Counties ranked by the indicator, best at the top, in each county's own colour."""
    ascending = ind.direction != "down"
    df = county_values.sort_values("value", ascending=ascending, na_position="first")
    names = [county_name(c, n, lang) for c, n in zip(df["area_code"], df["area_name"])]
    values = _numbers(df["value"])
    shown = [fmt_value(v, ind.unit, lang) for v in values]
    fig = {"data": [{"type": "bar", "x": values, "y": names, "orientation": "h", "text": shown,
                     "textposition": "auto", "customdata": shown,
                     "marker": {"color": [COUNTY_COLORS.get(c, CITY_COLOR) for c in df["area_code"]]},
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

    acc: etl.scorecard.leader_accountability's rows. A community linked by three leaders of a level counts once;
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
