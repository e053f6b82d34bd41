"""The dashboard's factory: a Dash app over one database, pages from dashboard/pages, served by waitress (bounded)."""
from __future__ import annotations

import logging
import os
import secrets
import sys
import tempfile
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, dcc, html
from flask import has_request_context, jsonify, request

from etl.config import load_settings
from etl.store.db import database_url as resolve_url, make_engine

from . import auth, data, ids, proxy, response_cache, security, warmup
from .components import lang_to_remember, remember_lang
from .i18n import LANGS, t
from .jobs import job_manager
from .urls import search_with

HERE = Path(__file__).parent
log = logging.getLogger(__name__)


# Files of one drop: each at most max_file_mb; the request (base64, a third larger) at most this many of them.
MAX_FILES_PER_REQUEST = 3
JOBS = "shequ_jobs"                 # the background jobs' manager, in server.extensions


def create_app(database_url: str | None = None, *, basis: str = "approved", secret_key: str | None = None,
               cache_dir: str | os.PathLike | None = None, secure_cookies: bool | None = None) -> dash.Dash:
    """A new Dash app reading `database_url` (or SHEQU_DATABASE_URL, or ./shequ.db), approved data by default.

    All state lives in the database, the Flask config (SHEQU_ENGINE, SHEQU_BASIS), the signed session cookie, the
    URL and the background jobs' results: a cache folder (`cache_dir`, SHEQU_CACHE_DIR) shared by the server
    processes of one machine, or Celery with Redis across machines (SHEQU_CELERY_BROKER, dashboard/jobs.py);
    several apps or workers can run side by side. `secret_key` (or SHEQU_SECRET_KEY) must be the same on every worker.
    """
    url = resolve_url(database_url)
    cache = Path(cache_dir or os.environ.get("SHEQU_CACHE_DIR") or Path(tempfile.gettempdir()) / "shequ-cache")
    manager = job_manager(cache)
    app = _Dash(
        "dashboard", use_pages=True, pages_folder=str(HERE / "pages"), assets_folder=str(HERE / "assets"),
        title=t("app_name", "zh"), update_title=None, suppress_callback_exceptions=True, serve_locally=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
        background_callback_manager=manager, on_error=_callback_failed,
    )
    server = app.server
    server.config.update(
        SHEQU_ENGINE=make_engine(url), SHEQU_BASIS=basis, SHEQU_DATABASE_URL=url, SHEQU_CACHE_DIR=str(cache),
        SECRET_KEY=secret_key or os.environ.get("SHEQU_SECRET_KEY") or _random_key(),
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=_secure(secure_cookies), REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax", REMEMBER_COOKIE_SECURE=_secure(secure_cookies),
        MAX_CONTENT_LENGTH=max_request_bytes(),
    )
    proxy.trust_proxies(server)     # SHEQU_PROXY_HOPS: behind nginx, the client's address (audit, back-off)
    server.extensions[JOBS] = manager
    warmup.install(server)          # first: a guard that answers a request skips the hooks after it
    security.install(server)
    auth.install(server)
    response_cache.install(server)
    app.layout = _layout
    _register_url_callback(app)
    _register_user_menu(app)
    _register_page_callbacks(app)
    _register_routes(app)
    return app


def start_serving(app: dash.Dash) -> None:
    """What a serving process starts once its app is made, in this order: the jobs' launcher (forked while the
    process has one thread, dashboard/jobs.py), then the warm-up thread. serve() and dashboard/wsgi.py call it."""
    manager = app.server.extensions[JOBS]
    if hasattr(manager, "start_launcher"):
        manager.start_launcher()
    warmup.start(app.server)


def _versionless_fingerprint(path, version, hash_value):
    """Dash's cache-busting file names (react@18.v4_4_1m….js) with a digest of the version in place of the
    version itself: a new release still gets new names, and the page no longer lists the libraries' versions."""
    import hashlib
    digest = hashlib.sha256(str(version).encode()).hexdigest()[:10]
    return _dash_fingerprint(path, digest, hash_value)


_dash_fingerprint = dash.dash.build_fingerprint
dash.dash.build_fingerprint = _versionless_fingerprint      # Dash looks the name up in its module at each use


class _Dash(dash.Dash):
    """Dash, telling the browser nothing of the server's Python, Dash or Plotly versions (the renderer's debug
    tools, which read them, are never on here; script names carry a digest, the favicon is ours)."""

    HIDDEN_CONFIG = ("dash_version", "python_version", "dash_version_url", "ddk_version", "plotly_version")

    def _config(self):
        config = super()._config()
        for key in self.HIDDEN_CONFIG:
            config.pop(key, None)
        return config


def max_file_bytes() -> int:
    """The largest return accepted (settings: upload.max_file_mb)."""
    return int(load_settings().max_file_mb * 2**20)


def max_request_bytes() -> int:
    """Flask's MAX_CONTENT_LENGTH: a few files' base64 (4/3 of their size) plus room for the rest of the request."""
    return max_file_bytes() * MAX_FILES_PER_REQUEST * 4 // 3 + 2**20


def _secure(flag: bool | None) -> bool:
    return flag if flag is not None else os.environ.get("SHEQU_SECURE_COOKIES", "") in ("1", "true", "yes")


def _random_key() -> str:
    log.warning("SHEQU_SECRET_KEY is not set: a random key for this process (sessions end when it restarts; "
                "several workers must share one key)")
    return secrets.token_hex(32)


def _callback_failed(error: Exception):
    """A callback that fails shows a message in the page (never a traceback); the details go to the log."""
    log.error("callback failed: %s", error, exc_info=error)
    lang = request.cookies.get(ids.LANG_COOKIE) if has_request_context() else None
    dash.set_props(ids.APP_ERROR, {"children": _error_message(lang if lang in LANGS else "zh"), "is_open": True})


def _error_message(lang: str):
    return [html.Strong(t("callback_error_title", lang)), " ", t("callback_error_body", lang)]


def _layout():
    # The page (header, navigation and content) comes from the page's layout(**query); the shell only holds the
    # Locations that keep the view in the URL, the message a failed callback shows, and who is logged in (drawn
    # for each visit, so that pages, drawn once for all users of a role, hold nothing of a user's own).
    return html.Div([
        dcc.Location(id=ids.URL, refresh="callback-nav"),
        dcc.Location(id=ids.URL_QUIET, refresh=False),
        dcc.Store(id=ids.WHO, data=_who()),
        dbc.Alert(id=ids.APP_ERROR, is_open=False, dismissable=True, color="danger", className="app-error"),
        dcc.Loading(dash.page_container, delay_show=250, overlay_style={"visibility": "visible", "opacity": 0.55},
                    type="circle", color="#8c1c13"),
    ])


def _who() -> dict | None:
    who = auth.user() if has_request_context() else None
    if who is None:
        return None
    return {"username": who.username, "role": {lang: t(f"role_{who.role}", lang) for lang in LANGS},
            "csrf": security.csrf_token()}


def _register_user_menu(app: dash.Dash) -> None:
    """Each page's menu shows the name and carries the CSRF token of whoever is logged in, from the shell."""
    app.clientside_callback(
        """function(lang, who) {
            const skip = window.dash_clientside.no_update;
            if (!who) { return [skip, skip]; }
            const role = {type: "Span", namespace: "dash_html_components",
                          props: {children: " · " + (who.role[lang] || who.role.zh), className: "user-role"}};
            return [[who.username, role], who.csrf];
        }""",
        Output(ids.USER_NAME, "children"), Output(ids.LOGOUT_CSRF, "value"),
        Input(ids.PAGE_LANG, "data"), State(ids.WHO, "data"))


def _register_url_callback(app: dash.Dash) -> None:
    """Any control with id {"type": "qparam", "name": N} writes its value to the query parameter N."""
    @app.callback(Output(ids.URL, "search"), Input({"type": ids.QPARAM, "name": ALL}, "value"),
                  State(ids.URL, "search"), prevent_initial_call=True)
    def set_query_parameter(_values, search):
        trigger = dash.ctx.triggered_id
        # A person changes one control at a time. A page's controls arriving with the page fire together (an ALL
        # pattern fires when its matches change, prevent_initial_call or not): writing their values to the address
        # would draw the page a second time.
        if not isinstance(trigger, dict) or len(dash.ctx.triggered) != 1:
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
        """Liveness: the process and its database answer. Warming never makes a server look dead."""
        ok = data.health(server.config["SHEQU_ENGINE"])
        return jsonify(status="ok" if ok else "database unavailable"), 200 if ok else 503

    @server.route("/ready")
    def ready():
        """Readiness, for a load balancer: 503 until this server has built its tables once after starting (its
        first answers would be slow); then 200, also while it warms a newer data version (every server warms at
        each data change, and a balancer waiting for that would drop them all at once)."""
        engine = server.config["SHEQU_ENGINE"]
        if not data.health(engine):
            return jsonify(ready=False, status="database unavailable"), 503
        state = warmup.state(server)
        return jsonify(ready=state.ready, warm=state.warm, data_version=data.source_for(
            engine, server.config["SHEQU_BASIS"]).version, warm_version=state.version), 200 if state.ready else 503

    @server.after_request
    def remember_language(response):
        lang = lang_to_remember(request.args.get("lang"), request.cookies.get(ids.LANG_COOKIE))
        return remember_lang(response, lang) if lang else response


def serve(database_url: str | None = None, host: str = "127.0.0.1", port: int = 8050, threads: int = 8,
          basis: str = "approved") -> None:
    """Serve the dashboard with waitress, bounded (dashboard/http_server.py; debug is never on)."""
    from . import http_server
    app = create_app(database_url, basis=basis)
    start_serving(app)
    log.info("shequ dashboard on http://%s:%s/", host, port)
    http_server.serve(app.server, host, port, threads, max_request_bytes())
