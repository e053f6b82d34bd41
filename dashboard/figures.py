"""Pure figure builders: a DataFrame (and labels) in, a plotly Figure out — one look across the app."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from etl.config import Indicator

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
# The little of plotly_white the charts use. Plotly deep-copies a figure's template every time it is set, and
# plotly_white's defaults for every trace type made that most of a page's server time.
_AXIS = {"gridcolor": "#EBF0F8", "linecolor": "#EBF0F8", "zerolinecolor": "#EBF0F8", "ticks": "", "automargin": True}
TEMPLATE = go.layout.Template(layout={
    "paper_bgcolor": "white", "plot_bgcolor": "white", "colorway": list(COUNTY_COLORS.values()),
    "xaxis": _AXIS, "yaxis": _AXIS, "geo": {"bgcolor": "white"}, "hovermode": "closest",
})


def graph_config(lang: str) -> dict:
    """dcc.Graph config: the user's locale, no plotly logo, no request for map outlines outside the app."""
    return {"locale": "zh-CN" if lang == "zh" else "en", "displaylogo": False, "responsive": True,
            "displayModeBar": False, "topojsonURL": "/assets/topojson/"}


def source_text(period: str | None, lang: str, basis: str = "approved") -> str:
    """"来源：各县（市、区）报表，2015年，已审核" — or "…，含未审核（临时）" when submitted returns are counted."""
    text = t("source", lang, period=period_label(period, lang))
    return text + t("source_approved" if basis == "approved" else "source_current", lang)


def _style(fig: go.Figure, title: str, source: str, height: int = 340, legend: bool = False) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE, height=height, font={"family": FONT, "size": 13, "color": INK},
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        margin={"l": 56, "r": 16, "t": 52, "b": 96 if legend else 68}, showlegend=legend,
        hoverlabel={"font": {"family": FONT}}, legend={"orientation": "h", "y": 0, "yref": "container", "x": 0,
                                                       "yanchor": "bottom"},
        separators=".,",
    )
    fig.add_annotation(text=source, xref="paper", yref="paper", x=0, y=0, yshift=-52 if not legend else -54,
                       showarrow=False,
                       xanchor="left", yanchor="top", font={"size": 11, "color": "#777777"})
    return fig


def _axis_title(ind: Indicator, lang: str) -> str:
    """The unit (the chart's title names the measure): 个 / % / m² …; English counts say "communities"."""
    unit = ind.unit_label(lang)
    if not unit:
        return "communities" if ind.table == "community" else "count"
    return f"单位：{unit}" if lang == "zh" else unit


def _target_line(fig: go.Figure, ind: Indicator, lang: str, horizontal: bool = True) -> None:
    if ind.target is None:
        return
    label = f"{t('target', lang)} {fmt_number(ind.target, ind.unit)}"
    line = {"dash": "dash", "color": TARGET_COLOR, "width": 1.5}
    if horizontal:
        fig.add_hline(y=ind.target, line=line, annotation_text=label, annotation_position="top left",
                      annotation_font_color=TARGET_COLOR)
    else:
        fig.add_vline(x=ind.target, line=line, annotation_text=label, annotation_position="top",
                      annotation_font_color=TARGET_COLOR)


def trend(series: pd.DataFrame, ind: Indicator, lang: str, title: str, source: str, baseline: str | None,
          extra: pd.DataFrame | None = None, extra_name: str = "", extra_color: str = CITY_COLOR) -> go.Figure:
    """A line over the periods (rows period, value), the target dashed and the baseline marked.

    `extra` (same columns) draws a second line first, e.g. the city beside a county.
    """
    fig = go.Figure()
    lines = [(extra, extra_name, extra_color)] if extra is not None else []
    lines.append((series, t("city", lang) if extra is None else series.attrs.get("name", ""),
                  series.attrs.get("color", CITY_COLOR)))
    for frame, name, color in lines:
        x = [period_label(p, lang) for p in frame["period"]]
        fig.add_trace(go.Scatter(
            x=x, y=frame["value"], name=name, mode="lines+markers", line={"color": color, "width": 2.5},
            marker={"size": 7}, customdata=[fmt_value(v, ind.unit, lang) for v in frame["value"]],
            hovertemplate=f"{name}<br>%{{x}}：%{{customdata}}<extra></extra>"))
    base = series[series["period"] == baseline] if baseline else series.iloc[0:0]
    if len(base):
        fig.add_trace(go.Scatter(
            x=[period_label(baseline, lang)], y=base["value"], mode="markers+text", name=t("baseline", lang),
            marker={"size": 12, "symbol": "diamond-open", "color": BASELINE_COLOR, "line": {"width": 2}},
            text=[t("baseline", lang)], textposition="middle right", textfont={"color": BASELINE_COLOR},
            hoverinfo="skip", cliponaxis=False))
    _target_line(fig, ind, lang)
    fig.update_xaxes(type="category", title=None)
    fig.update_yaxes(title=_axis_title(ind, lang), rangemode="tozero", separatethousands=True)
    return _style(fig, title, source, height=300, legend=extra is not None)


def county_map(county_values: pd.DataFrame, geojson: dict, ind: Indicator, lang: str, title: str,
               source: str) -> go.Figure:
    """A choropleth of the 7 counties (rows area_code, area_name, value) from the shipped boundaries."""
    names = [county_name(c, n, lang) for c, n in zip(county_values["area_code"], county_values["area_name"])]
    shown = [fmt_value(v, ind.unit, lang) for v in county_values["value"]]
    fig = go.Figure(go.Choropleth(
        geojson=geojson, featureidkey="id", locations=county_values["area_code"], z=county_values["value"],
        colorscale=MAP_SCALE, marker={"line": {"color": "white", "width": 1.2}}, text=names, customdata=shown,
        hovertemplate="%{text}<br>%{customdata}<extra></extra>", zmin=0,
        colorbar={"title": {"text": ind.unit_label(lang) or ""}, "thickness": 12, "len": 0.7}))
    centroids = {f["id"]: f["properties"].get("centroid") for f in geojson["features"]}
    located = [(centroids.get(c), n) for c, n in zip(county_values["area_code"], names) if centroids.get(c)]
    if located:
        fig.add_trace(go.Scattergeo(
            lon=[c[0] for c, _ in located], lat=[c[1] for c, _ in located], text=[n for _, n in located],
            mode="text", textfont={"size": 11, "color": INK, "family": FONT}, hoverinfo="skip", showlegend=False))
    fig.update_geos(visible=False, fitbounds="locations", projection_type="mercator", bgcolor="rgba(0,0,0,0)")
    return _style(fig, title, source, height=400)


def ranking(county_values: pd.DataFrame, ind: Indicator, lang: str, title: str, source: str) -> go.Figure:
    """Counties ranked by the indicator, best at the top, in each county's own colour."""
    ascending = ind.direction != "down"
    df = county_values.sort_values("value", ascending=ascending, na_position="first")
    names = [county_name(c, n, lang) for c, n in zip(df["area_code"], df["area_name"])]
    shown = [fmt_value(v, ind.unit, lang) for v in df["value"]]
    fig = go.Figure(go.Bar(
        x=df["value"], y=names, orientation="h", text=shown, textposition="auto", customdata=shown,
        marker={"color": [COUNTY_COLORS.get(c, CITY_COLOR) for c in df["area_code"]]},
        hovertemplate="%{y}：%{customdata}<extra></extra>"))
    _target_line(fig, ind, lang, horizontal=False)
    fig.update_xaxes(title=_axis_title(ind, lang), rangemode="tozero", separatethousands=True)
    fig.update_yaxes(title=None, automargin=True)
    return _style(fig, title, source, height=400)


def area_histogram(rows: pd.DataFrame, lang: str, title: str, source: str, color: str = CITY_COLOR) -> go.Figure:
    """The communities' service premises in 100 m² bins, with the 300 / 500 / 1,000 m² standards marked."""
    area = pd.to_numeric(rows["service_area_m2"], errors="coerce").dropna()
    fig = go.Figure(go.Histogram(
        x=area, xbins={"start": 0, "size": 100}, marker={"color": color, "line": {"color": "white", "width": 1}},
        hovertemplate=("%{x} ㎡：%{y} 个社区" if lang == "zh" else "%{x} m²: %{y} communities") + "<extra></extra>"))
    for threshold in (300, 500, 1000):
        fig.add_vline(x=threshold, line={"dash": "dash", "color": TARGET_COLOR, "width": 1.5},
                      annotation_text=f"{threshold:,}",
                      annotation_position="top right", annotation_font_color=TARGET_COLOR)
    fig.update_xaxes(title=t("area_axis", lang), rangemode="tozero", separatethousands=True)
    fig.update_yaxes(title=t("communities_axis", lang))
    return _style(fig, title, source, height=320)


def leader_bars(acc: pd.DataFrame, lang: str, title: str, source: str) -> go.Figure:
    """Per leader level: communities linked, and how many of them met the premises standard then and now."""
    levels = [("厅级", t("prefecture", lang)), ("县级", t("county_level", lang))]
    fig = go.Figure()
    series = [("communities", t("linked", lang), "#c9d6e3"), ("meets_baseline", t("meets_baseline", lang),
                                                              BASELINE_COLOR),
              ("meets_now", t("meets_now", lang), CITY_COLOR)]
    for column, name, color in series:
        ys = [int(acc.loc[acc["leader_level"] == lv, column].sum()) if len(acc) else 0 for lv, _ in levels]
        fig.add_trace(go.Bar(x=[label for _, label in levels], y=ys, name=name, marker={"color": color},
                             text=[f"{y:,}" for y in ys], textposition="outside",
                             hovertemplate=f"{name}：%{{y:,}}<extra></extra>"))
    fig.update_layout(barmode="group")
    fig.update_yaxes(title=t("communities_axis", lang), rangemode="tozero")
    return _style(fig, title, source, height=320, legend=True)
