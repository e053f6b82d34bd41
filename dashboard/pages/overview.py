"""总览 Overview: headline KPI cards, the map and ranking of a chosen indicator, and the city's trends."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from etl.config import indicator_map, indicators

from dashboard import data, figures, ids
from dashboard.awaiting import awaiting_empty_state, awaiting_notice
from dashboard.components import View, card, empty_state, graph, make_view, safe_layout, shell
from dashboard.kpi import kpi_strip
from dashboard.geo import attribution
from dashboard.i18n import dropdown_labels, period_label, t

PATH = "/"
dash.register_page(__name__, path=PATH, name="总览", name_en="Overview", order=0, title=data.page_title("总览"))


def headline() -> list:
    return [i for i in indicators() if i.headline]


def map_indicators() -> list:
    """Indicators with county values — the ones the map and the ranking can show."""
    return [i for i in indicators() if "county" in i.levels]


def resolve_indicator(value) -> str:
    known = {i.id for i in map_indicators()}
    return value if value in known else headline()[0].id


def map_and_ranking(view: View, indicator: str) -> dbc.Row:
    ind = indicator_map()[indicator]
    county = data.values(view.src, "county", view.period, indicator)
    source = figures.source_text(view.period, view.lang, view.src.basis)
    name, period = ind.name(view.lang), period_label(view.period, view.lang)
    bars = figures.ranking(county, ind, view.lang, t("ranking_title", view.lang, indicator=name, period=period),
                           source)
    city_map = data.city_map(view.src)
    if city_map.geojson is None:             # a city without boundaries: the ranking in the map's place
        return dbc.Row([dbc.Col(card("", no_map_note(view.lang), graph(bars, view.lang, ids.RANKING)), lg=12,
                                className="mb-3")], className="map-row")
    the_map = figures.county_map(county, city_map.geojson, ind, view.lang,
                                 t("map_title", view.lang, indicator=name, period=period), source)
    return dbc.Row([
        dbc.Col(card("", graph(the_map, view.lang, ids.MAP),
                     html.Div(attribution(view.lang, city_map.stored), className="attribution")), lg=6,
                className="mb-3"),
        dbc.Col(card("", graph(bars, view.lang, ids.RANKING)), lg=6, className="mb-3"),
    ], className="map-row")


def no_map_note(lang: str) -> html.Div:
    """The one line that says why the ranking stands where the map would."""
    return html.Div(t("no_map", lang), className="no-map-note small text-muted")


def trends(view: View) -> html.Div:
    city = data.city_values(view.src)
    incomplete = frozenset(view.periods) - data.complete_periods(view.src)
    source = figures.source_text(view.period, view.lang, view.src.basis)
    charts = []
    for ind in headline():
        rows = city[city["indicator"] == ind.id]
        fig = figures.trend(rows[["period", "value"]], ind, view.lang, ind.name(view.lang), source,
                            data.baseline_of(rows), incomplete=incomplete)
        charts.append(html.Div(card("", graph(fig, view.lang, {"type": ids.TREND, "indicator": ind.id})),
                               className="trend-cell"))
    return html.Div([html.H2(t("trends", view.lang), className="section-title"),
                     html.Div(charts, className="trend-grid")], className="trends")


def indicator_picker(view: View, indicator: str):
    options = [{"label": i.name(view.lang), "value": i.id} for i in map_indicators()]
    return html.Div([html.Label(t("indicator", view.lang), className="control-label"),
                     dcc.Dropdown(id=ids.qparam("indicator"), options=options, value=indicator, clearable=False,
                                  labels=dropdown_labels(view.lang),
                                  className="control-select wide")], className="control")


@safe_layout(PATH)
def layout(**query):
    view = make_view(PATH, query, "indicator")
    title = t("overview_title", view.lang) + " · " + period_label(view.period, view.lang)
    if view.period is None:
        return shell(view, title, awaiting_empty_state(view) or empty_state(view.lang))
    indicator = resolve_indicator(view.params.get("indicator"))
    view.params["indicator"] = indicator if indicator != headline()[0].id else None
    return shell(view, title, awaiting_notice(view),
                 html.H2(t("kpis", view.lang), className="section-title"),
                 kpi_strip(view, headline()), indicator_picker(view, indicator), map_and_ranking(view, indicator), trends(view),
                 html.Div(figures.source_text(view.period, view.lang, view.src.basis), className="page-source"))
