"""县市区 Counties: one county in depth — its KPIs against the city's, trends, area distribution, shortfalls."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from etl.config import indicators, load_settings
from etl.compute.scorecard import NOT_APPLICABLE, standing

from dashboard import data, figures, ids
from dashboard.components import (View, card, empty_state, graph, make_view, paged, safe_layout, shell, standing_badge,
                                  standing_legend, table)
from dashboard.i18n import county_name, dropdown_labels, fmt_value, period_label, t

PATH = "/counties"
dash.register_page(__name__, path=PATH, name="县市区", name_en="Counties", order=2, title=data.page_title("县市区"))
PAGE_ROWS = 50      # shortfall rows per page


def resolve_county(src, value) -> str:
    codes = list(data.counties(src)["code"])
    return value if value in codes else codes[0]


def kpi_table(view: View, county: str, label: str) -> html.Div:
    """Every county-level indicator: the county's value, the city's, the target and the county's light."""
    mine = data.values(view.src, "county", view.period, area=county).set_index("indicator")
    city = data.city_values(view.src, view.period).set_index("indicator")
    settings = load_settings()
    not_applicable = data.not_applicable(view.src, view.period)
    state = data.period_state(view.src, view.period)
    city_label = t("city", view.lang) + ("" if state is None or state.complete else
                                         f"（{t('incomplete_short', view.lang, k=len(state.reported), n=len(state.expected))}）")
    rows = []
    for ind in indicators():
        if "county" not in ind.levels:
            continue
        value = mine["value"].get(ind.id)
        where = standing(value, ind.target, settings, ind.direction) if ind.target else None
        if where is None and (view.period, county, ind.id) in not_applicable:
            where = NOT_APPLICABLE
        rows.append([ind.name(view.lang), fmt_value(value, ind.unit, view.lang),
                     fmt_value(city["value"].get(ind.id), ind.unit, view.lang),
                     fmt_value(ind.target, ind.unit, view.lang) if ind.target else "—",
                     standing_badge(where, view.lang) if ind.target else ""])
    cols = [(t("indicator", view.lang), "text"), (label, "num"), (city_label, "num"),
            (t("target", view.lang), "num"), ("", "text")]
    return html.Div([table(cols, rows, className="county-kpis"),
                     standing_legend(view.lang, settings.green, settings.amber)])


def county_trends(view: View, county: str, label: str) -> html.Div:
    values = dict(tuple(data.values(view.src, "county", area=county).groupby("indicator", sort=False)))
    city = dict(tuple(data.city_values(view.src).groupby("indicator", sort=False)))
    nothing = pd.DataFrame({"period": [], "value": []})
    source = figures.source_text(view.period, view.lang, view.src.basis)
    incomplete = frozenset(view.periods) - data.complete_periods(view.src)
    charts = []
    for ind in [i for i in indicators() if i.headline]:
        mine = values.get(ind.id, nothing.assign(baseline_period=[]))
        series = mine[["period", "value"]].copy()
        series.attrs.update(name=label, color=figures.county_color(county, data.counties(view.src)["code"]))
        other = city.get(ind.id, nothing)[["period", "value"]]
        fig = figures.trend(series, ind, view.lang, ind.name(view.lang), source, data.baseline_of(mine),
                            extra=other, extra_name=t("city", view.lang), extra_color="#9aa5b1",
                            incomplete=incomplete)
        charts.append(card("", graph(fig, view.lang, {"type": ids.COUNTY_TRENDS, "indicator": ind.id})))
    return html.Div(charts, className="trend-grid")


def shortfalls(view: View, rows: pd.DataFrame) -> html.Div:
    """The county's communities that miss at least one standard, with the standards they miss; paged (a county
    of a national programme has hundreds)."""
    keys = [k for k, _ in data.STANDARDS]
    missing = rows[rows[keys].eq(False).any(axis=1)] if len(rows) else rows
    if missing.empty:
        return html.P(t("all_meet", view.lang), className="hint", id=ids.COUNTY_MISSING)
    total = len(missing)
    missing, nav = paged(view, missing, PAGE_ROWS, ids.COUNTY_MISSING_PAGER)
    urban, township = t("urban", view.lang), t("township", view.lang)
    labels = [t(k, view.lang) for k in keys]
    misses = missing[keys].eq(False).fillna(False).to_numpy(dtype=bool)
    body = [[name, town, urban if kind == "城市社区" else township, fmt_value(area, "m2", view.lang),
             "、".join(label for label, miss in zip(labels, row_misses) if miss)]
            for name, town, kind, area, row_misses in zip(missing["community_name"], missing["township_name"],
                                                          missing["community_kind"], missing["service_area_m2"],
                                                          misses)]
    cols = [(t("community", view.lang), "text"), (t("township_col", view.lang), "text"), (t("kind", view.lang), "text"),
            (t("area_axis", view.lang), "num"), (t("standard", view.lang), "text")]
    return html.Div([html.Div(t("rows", view.lang, n=total), className="row-count"),
                     nav, table(cols, body)],
                    id=ids.COUNTY_MISSING)


def county_picker(view: View, county: str):
    options = [{"label": county_name(c, n, view.lang), "value": c}
               for c, n in zip(data.counties(view.src)["code"], data.counties(view.src)["name"])]
    return html.Div([html.Label(t("county", view.lang), className="control-label"),
                     dcc.Dropdown(id=ids.qparam("county"), options=options, value=county, clearable=False,
                                  labels=dropdown_labels(view.lang),
                                  className="control-select")], className="control")


@safe_layout(PATH)
def layout(**query):
    view = make_view(PATH, query, "county", "page")
    county = resolve_county(view.src, view.params.get("county"))
    view.params["county"] = county
    names = data.counties(view.src).set_index("code")["name"]
    label = county_name(county, names.get(county), view.lang)
    title = t("county_vs_city", view.lang, county=label, period=period_label(view.period, view.lang))
    if view.period is None or county == data.city(view.src).code:
        return shell(view, title, empty_state(view.lang))
    rows = data.community_table(view.src, view.period, county)
    if rows.empty:
        return shell(view, title, empty_state(view.lang), controls=county_picker(view, county))
    source = figures.source_text(view.period, view.lang, view.src.basis)
    hist = figures.area_histogram(rows, view.lang, t("histogram_title", view.lang, county=label,
                                                     period=period_label(view.period, view.lang)), source,
                                  color=figures.county_color(county, data.counties(view.src)["code"]))
    return shell(view, title,
                 dbc.Row([dbc.Col(card(t("indicator", view.lang), kpi_table(view, county, label)), lg=6),
                          dbc.Col(card("", graph(hist, view.lang, ids.COUNTY_HISTOGRAM)), lg=6)]),
                 card(t("missing_standard", view.lang), shortfalls(view, rows)),
                 html.H2(t("county_trends", view.lang), className="section-title"), county_trends(view, county, label),
                 controls=county_picker(view, county))
