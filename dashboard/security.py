"""The web surface's defences: a CSRF token per session, security headers, and errors without tracebacks.

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
        token = csrf_token()
        if flask.request.cookies.get(CSRF_COOKIE) != token:
            # Readable by the page's script on purpose (the renderer echoes it); SameSite keeps it on this site.
            response.set_cookie(CSRF_COOKIE, token, httponly=False, samesite="Lax",
                                secure=server.config.get("SESSION_COOKIE_SECURE", False))
        return response

    @server.errorhandler(Exception)
    def no_traceback(error):
        if isinstance(error, HTTPException):
            return plain_error(error.code or 500, error.name, error.name)
        log.exception("request failed: %s %s", flask.request.method, flask.request.path)
        return plain_error(500, "服务器出错，请稍后重试；如仍出错，请联系系统管理员。",
                           "Something went wrong on the server. Try again; if it persists, contact the administrator.")


def plain_error(status: int, message_zh: str, message_en: str) -> flask.Response:
    """A short message in both languages, JSON for the Dash renderer, text otherwise — never a traceback."""
    if flask.request.path.startswith("/_dash-") or flask.request.is_json:
        response = flask.jsonify(error=message_en, message_zh=message_zh)
    else:
        body = (f"<!doctype html><meta charset='utf-8'><title>{status}</title>"
                f"<link rel='stylesheet' href='/assets/00_bootstrap.min.css'>"
                f"<main class='container py-5'><h1 class='h4'>{status}</h1>"
                f"<p>{_esc(message_zh)}</p>"
                f"<p class='text-muted'>{_esc(message_en)}</p><p><a href='/'>返回首页 / Home</a></p></main>")
        response = flask.Response(body, mimetype="text/html")
    response.status_code = status
    return response


def _esc(text: str) -> str:
    from markupsafe import escape
    return str(escape(text))
