"""简报 Briefing: one printable page of a period for the leadership meeting — KPIs, the map, the scorecard."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from etl.config import indicator_map

from dashboard import data, figures, ids
from dashboard.components import card, empty_state, graph, make_view, safe_layout, shell
from dashboard.geo import attribution
from dashboard.city import city_name
from dashboard.i18n import period_label, t
from dashboard.kpi import kpi_strip
from dashboard.pages.overview import headline, no_map_note
from dashboard.pages.scorecard import PAGE_ROWS, incomplete_note, scorecard_table, sorted_card, weights_note

PATH = "/briefing"
dash.register_page(__name__, path=PATH, name="简报", name_en="Briefing", order=9, title=data.page_title("简报"))


@safe_layout(PATH)
def layout(**query):
    view = make_view(PATH, query)
    period = period_label(view.period, view.lang)
    title = t("briefing_title", view.lang, period=period, city=city_name(data.city(view.src), view.lang))
    if view.period is None:
        return shell(view, title, empty_state(view.lang))
    ind = indicator_map()[headline()[0].id]
    source = figures.source_text(view.period, view.lang, view.src.basis)
    county = data.values(view.src, "county", view.period, ind.id)
    city_map = data.city_map(view.src)
    if city_map.geojson is None:             # a city without boundaries: the ranking in the map's place
        the_map = figures.ranking(county, ind, view.lang, t("ranking_title", view.lang, indicator=ind.name(view.lang),
                                                             period=period), source)
        under = no_map_note(view.lang)
    else:
        the_map = figures.county_map(county, city_map.geojson, ind, view.lang,
                                     t("map_title", view.lang, indicator=ind.name(view.lang), period=period), source)
        under = html.Div(attribution(view.lang, city_map.stored), className="attribution")
    card_df = data.scorecard(view.src, view.period)
    return html.Div(shell(
        view, title,
        kpi_strip(view, headline()),
        dbc.Row([
            dbc.Col(card("", graph(the_map, view.lang, ids.BRIEFING_MAP), under), md=5, className="briefing-map"),
            dbc.Col(card("", incomplete_note(view), scorecard_table(view, sorted_card(card_df, "rank").head(PAGE_ROWS), "rank")
                         if not card_df.empty else empty_state(view.lang), weights_note(view)), md=7),
        ]),
        html.Div(source, className="page-source")), className="briefing")
