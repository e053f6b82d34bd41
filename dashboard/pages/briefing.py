"""简报 Briefing: one printable page of a period for the leadership meeting — KPIs, the map, the scorecard."""
from __future__ import annotations

import logging

import dash
import dash_bootstrap_components as dbc
from dash import html

from etl.config import indicator_map
from etl.read.problems import ShequError

from dashboard import auth, data, figures, ids, security
from dashboard.components import card, empty_state, graph, make_view, safe_layout, shell
from dashboard.geo import attribution
from dashboard.city import city_name
from dashboard.i18n import county_name, period_label, t
from dashboard.memo import memo
from dashboard.urls import href
from dashboard.kpi import kpi_strip
from dashboard.pages.overview import headline, no_map_note
from dashboard.pages.scorecard import PAGE_ROWS, incomplete_note, scorecard_table, sorted_card, weights_note

PATH = "/briefing"
PDF_PATH = "/briefing.pdf"
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
        html.Div(source, className="page-source"), controls=pdf_links(view)), className="briefing")


def pdf_links(view) -> html.Div:
    """The PDF of this view: the city's, and each county's beside the city's (a county's analyst gets only their
    own county's: the route checks)."""
    def link(county=None):
        return href(PDF_PATH, period=view.period, county=county, lang=view.lang if view.lang != "zh" else None,
                    basis=view.src.basis)
    counties = data.counties(view.src)
    sep = "、" if view.lang == "zh" else " · "
    county_links = []
    for code, name in zip(counties["code"], counties["name"]):
        county_links += [sep if county_links else "", html.A(county_name(code, name, view.lang), href=link(code),
                                                             className="pdf-county-link")]
    return html.Div([
        html.A(t("pdf_download", view.lang), href=link(), className="btn btn-primary btn-sm", id=ids.BRIEFING_PDF),
        html.Span([t("pdf_county_links", view.lang), *county_links], className="small")],
        className="control control-actions align-items-center")


@memo(8)
def _pdf(src, period: str, county: str | None, lang: str) -> tuple[bytes, str]:
    """One briefing's bytes and file name per data version (made once, however many officials ask for it)."""
    from dashboard.briefing_pdf import briefing_filename, briefing_pdf
    from dashboard.city import city_name
    names = data.counties(src).set_index("code")["name"]
    pdf = briefing_pdf(src.engine, period=period, county=county, lang=lang, basis=src.basis)
    label = county_name(county, names.get(county), lang) if county else None
    return pdf, briefing_filename(city_name(data.city(src), lang), period, label, lang)


def register_callbacks(app: dash.Dash) -> None:
    server = app.server

    @server.route(PDF_PATH)
    def briefing_download():
        """The briefing as a PDF, for a logged-in user (the login guard); a user tied to a county gets the city's or
        their own county's only."""
        from flask import Response, request
        from urllib.parse import quote
        who = auth.user()
        lang = "en" if request.args.get("lang") == "en" else "zh"
        if who is None:
            return security.plain_error(403, t("forbidden", "zh"), t("forbidden", "en"))
        basis = request.args.get("basis")
        src = data.source(basis if basis in ("approved", "current") else None)
        county = request.args.get("county") or None
        if county and who.county_code and not who.is_admin and county != who.county_code:
            return security.plain_error(403, t("forbidden", "zh"), t("forbidden", "en"))
        period = data.resolve_period(src, request.args.get("period"))
        if period is None or (county and county not in set(data.counties(src)["code"])):
            return security.plain_error(404, t("empty_title", "zh"), t("empty_title", "en"))
        try:
            pdf, name = _pdf(src, period, county, lang)
        except ShequError as exc:
            logging.getLogger(__name__).error("briefing PDF failed: %s", exc)
            return security.plain_error(503, t("pdf_failed", "zh"), t("pdf_failed", "en"))
        ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
        return Response(pdf, mimetype="application/pdf", headers={
            "Content-Disposition": f"attachment; filename={ascii_name}; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "private, no-store"})
