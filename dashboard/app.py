"""The dashboard's factory: a Dash app over one database, pages from dashboard/pages, served by waitress."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import dash
from dash import ALL, Input, Output, State, dcc, html
from flask import jsonify, request

from etl.db import database_url as resolve_url, make_engine

from . import data, ids
from .i18n import LANGS, t
from .urls import search_with

HERE = Path(__file__).parent
log = logging.getLogger(__name__)


def create_app(database_url: str | None = None, *, basis: str = "current") -> dash.Dash:
    """A new Dash app reading `database_url` (or SHEQU_DATABASE_URL, or ./shequ.db) on the given basis.

    All state lives in the Flask config (SHEQU_ENGINE, SHEQU_BASIS) and in the URL; several apps or workers can
    run side by side. Issue 4 adds its login guard as a `before_request` on `app.server`.
    """
    url = resolve_url(database_url)
    app = dash.Dash(
        "dashboard", use_pages=True, pages_folder=str(HERE / "pages"), assets_folder=str(HERE / "assets"),
        title=t("app_title", "zh"), update_title=None, suppress_callback_exceptions=True, serve_locally=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.server.config.update(SHEQU_ENGINE=make_engine(url), SHEQU_BASIS=basis, SHEQU_DATABASE_URL=url)
    app.layout = _layout
    _register_url_callback(app)
    _register_page_callbacks(app)
    _register_routes(app)
    return app


def _layout():
    # The page (header, navigation and content) comes from the page's layout(**query); the shell only holds the
    # Locations that keep the view in the URL.
    return html.Div([
        dcc.Location(id=ids.URL, refresh="callback-nav"),
        dcc.Location(id=ids.URL_QUIET, refresh=False),
        dcc.Loading(dash.page_container, delay_show=250, overlay_style={"visibility": "visible", "opacity": 0.55},
                    type="circle", color="#8c1c13"),
    ])


def _register_url_callback(app: dash.Dash) -> None:
    """Any control with id {"type": "qparam", "name": N} writes its value to the query parameter N."""
    @app.callback(Output(ids.URL, "search"), Input({"type": ids.QPARAM, "name": ALL}, "value"),
                  State(ids.URL, "search"), prevent_initial_call=True)
    def set_query_parameter(_values, search):
        trigger = dash.ctx.triggered_id
        if not isinstance(trigger, dict) or not dash.ctx.triggered:
            return dash.no_update
        updated = search_with(search, trigger["name"], dash.ctx.triggered[0]["value"])
        return updated if updated != (search or "") else dash.no_update


def _register_page_callbacks(app: dash.Dash) -> None:
    """Each page module that has callbacks defines register_callbacks(app); they are bound to this app only."""
    for page in dash.page_registry.values():
        register = getattr(sys.modules.get(page["module"]), "register_callbacks", None)
        if register:
            register(app)


def _register_routes(app: dash.Dash) -> None:
    server = app.server

    @server.route("/health")
    def health():
        ok = data.health(server.config["SHEQU_ENGINE"])
        return jsonify(status="ok" if ok else "database unavailable"), (200 if ok else 503)

    @server.after_request
    def remember_language(response):
        lang = request.args.get("lang")
        if lang in LANGS and request.cookies.get(ids.LANG_COOKIE) != lang:
            response.set_cookie(ids.LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax")
        return response


def serve(database_url: str | None = None, host: str = "127.0.0.1", port: int = 8050, threads: int = 8) -> None:
    """Serve the dashboard with waitress (a production WSGI server; debug is never on)."""
    from waitress import serve as waitress_serve
    app = create_app(database_url)
    log.info("shequ dashboard on http://%s:%s/", host, port)
    waitress_serve(app.server, host=host, port=port, threads=threads)
