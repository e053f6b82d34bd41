"""The web surface's defences: a CSRF token per session, security headers (no-store on anything but static
files, HSTS over HTTPS), and errors without tracebacks.

CSRF: the token lives in the signed session; it is also sent as the readable cookie `_csrf_token`, which the
Dash renderer echoes as the header `X-CSRFToken` on every callback. A plain form sends it as the field
`csrf_token`. Every POST/PUT/PATCH/DELETE must carry it.
"""
from __future__ import annotations

import hmac
import logging
import secrets

import flask
from werkzeug.exceptions import HTTPException

from .city import app_title
from .i18n import LABELS, parse_lang, t
from .ids import LANG_COOKIE

CSRF_COOKIE = "_csrf_token"
CSRF_HEADER = "X-CSRFToken"
CSRF_FIELD = "csrf_token"
SESSION_KEY = "csrf"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Only the app's own origin. Dash's renderer needs inline scripts (its config and start-up), and dash-ag-grid's
# value formatters and Plotly need eval; styles are set inline by React components.
CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}

# Files that are the same for everyone (the app's and Dash's scripts and styles, fingerprinted by version): a
# browser and a proxy may keep them. Every other answer may hold someone's data and is never stored.
STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_favicon.ico", "/favicon.ico")
HSTS = "max-age=31536000"

log = logging.getLogger(__name__)


def csrf_token() -> str:
    """This session's token (made on first use)."""
    token = flask.session.get(SESSION_KEY)
    if not token:
        token = flask.session[SESSION_KEY] = secrets.token_urlsafe(32)
    return token


def rotate_csrf_token() -> str:
    """A new token, e.g. at login, so a token seen before the login is worth nothing after it."""
    flask.session.pop(SESSION_KEY, None)
    return csrf_token()


def csrf_valid(request: flask.Request) -> bool:
    """True when the request carries this session's token in the header or the form."""
    expected = flask.session.get(SESSION_KEY)
    sent = request.headers.get(CSRF_HEADER) or (request.form.get(CSRF_FIELD) if request.mimetype in (
        "application/x-www-form-urlencoded", "multipart/form-data") else None)
    return bool(expected and sent) and hmac.compare_digest(str(expected), str(sent))


def install(server: flask.Flask) -> None:
    """CSRF check before every state-changing request; headers and the token cookie after every response."""
    @server.before_request
    def check_csrf():
        if flask.request.method in UNSAFE_METHODS and not csrf_valid(flask.request):
            log.warning("CSRF refused: %s %s from %s", flask.request.method, flask.request.path,
                        flask.request.remote_addr)
            return plain_error(400, "请求无效（缺少安全令牌），请刷新页面后重试。",
                               "Invalid request (missing security token): reload the page and try again.")
        return None

    @server.after_request
    def add_headers(response: flask.Response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if not flask.request.path.startswith(STATIC_PREFIXES):
            response.headers["Cache-Control"] = "no-store"
        if flask.request.is_secure:        # over HTTPS (behind a proxy: its X-Forwarded-Proto, dashboard/proxy.py)
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        token = csrf_token()
        if flask.request.cookies.get(CSRF_COOKIE) != token:
            # Readable by the page's script on purpose (the renderer echoes it); SameSite keeps it on this site.
            response.set_cookie(CSRF_COOKIE, token, httponly=False, samesite="Lax",
                                secure=server.config.get("SESSION_COOKIE_SECURE", False))
        return response

    @server.errorhandler(Exception)
    def no_traceback(error):
        if isinstance(error, HTTPException):
            code = error.code or 500
            if f"error_{code}" in LABELS:
                return plain_error(code, t(f"error_{code}", "zh"), t(f"error_{code}", "en"))
            return plain_error(code, error.name, error.name)
        log.exception("request failed: %s %s", flask.request.method, flask.request.path)
        return plain_error(500, "服务器出错，请稍后重试；如仍出错，请联系系统管理员。",
                           "Something went wrong on the server. Try again; if it persists, contact the administrator.")


ERROR_PAGE = """<!doctype html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ status }} · {{ app_title }}</title>
<link rel="stylesheet" href="/assets/00_bootstrap.min.css"><link rel="stylesheet" href="/assets/app.css"></head>
<body class="error-body"><header class="app-header"><div class="container header-inner"><div class="brand">
<div class="brand-title">{{ app_title }}</div><div class="brand-subtitle">{{ app_subtitle }}</div></div>
<a class="lang-toggle" href="{{ other_url }}" id="lang-toggle">{{ other }}</a></div></header>
<main class="container error-box"><div class="card panel"><div class="card-body">
<h1 class="h4 error-title">{{ status }} · {{ title }}</h1>
<p class="error-message">{{ message }}</p>
<p class="mb-0"><a class="btn btn-primary btn-sm me-2" href="{{ home }}" id="error-home">{{ home_label }}</a>
{% if other_account %}
<a class="btn btn-outline-secondary btn-sm" href="/logout" id="error-logout">{{ other_account }}</a>{% endif %}
</p></div></div></main></body></html>"""


def plain_error(status: int, message_zh: str, message_en: str) -> flask.Response:
    """What went wrong, never a traceback: JSON (both languages) for the Dash renderer; for a person, a page in
    the app's look and the visitor's language (the address's ?lang=, else the language cookie)."""
    if flask.request.path.startswith("/_dash-") or flask.request.is_json:
        response = flask.jsonify(error=message_en, message_zh=message_zh)
    else:
        response = flask.Response(error_page(status, message_zh, message_en), mimetype="text/html")
    response.status_code = status
    return response


def error_page(status: int, message_zh: str, message_en: str) -> str:
    from urllib.parse import urlencode
    request = flask.request
    lang = parse_lang(request.args.get("lang"), request.cookies.get(LANG_COOKIE))
    other = "en" if lang == "zh" else "zh"
    title = t(f"error_{status}", lang) if f"error_{status}" in LABELS else str(status)
    return flask.render_template_string(
        ERROR_PAGE, lang=lang, status=status, title=title, message=message_en if lang == "en" else message_zh,
        app_title=app_title(lang), app_subtitle=t("app_subtitle", lang),
        other="English" if other == "en" else "中文", other_url=request.path + "?" + urlencode({"lang": other}),
        home="/" if lang == "zh" else "/?lang=en", home_label=t("error_home", lang),
        other_account=t("error_other_account", lang) if status == 403 else None)
