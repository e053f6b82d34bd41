"""Logins: Flask-Login over the database's users, the /login and /logout pages, and the guard on every request.

Access is decided on the server: a `before_request` refuses every page and `/_dash-*` request of a visitor who is
not logged in, refuses the pages a role may not see, and refuses callbacks whose outputs belong to a page the
role may not use (ids `upload-…` and `admin-…`). Callbacks that change data check the user again themselves.
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

import flask
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from etl import audit
from etl.users import User, authenticate, get_user_by_id

from . import login_page, security
from .i18n import t

log = logging.getLogger(__name__)

UPLOADERS = ("analyst", "admin")
ADMINS = ("admin",)
# Pages (path → roles) and callback output ids (prefix → roles) only some roles may use.
PAGE_ROLES = {"/upload": UPLOADERS, "/admin": ADMINS}
CALLBACK_ROLES = {"upload-": UPLOADERS, "admin-": ADMINS}
PUBLIC_PREFIXES = ("/assets/", "/login", "/health", "/favicon.ico")


class WebUser(UserMixin):
    """The logged-in user as Flask-Login sees it, wrapping the ETL's User."""

    def __init__(self, user: User):
        self.user = user
        self.id = str(user.id)

    username = property(lambda self: self.user.username)
    role = property(lambda self: self.user.role)
    county_code = property(lambda self: self.user.county_code)
    is_admin = property(lambda self: self.user.is_admin)

    def can_upload_for(self, county_code: str) -> bool:
        return self.user.can_upload_for(county_code)

    def may(self, roles) -> bool:
        return self.user.role in roles


def load_user(server: flask.Flask, user_id) -> WebUser | None:
    """The user of a session, or None when it no longer exists or was disabled (the session ends at once)."""
    try:
        user = get_user_by_id(server.config["SHEQU_ENGINE"], int(user_id))
    except (TypeError, ValueError):
        return None
    return WebUser(user) if user and not user.disabled else None


def user() -> WebUser | None:
    """The logged-in user of this request, or None."""
    if flask.has_request_context() and current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def user_from_cookies(server: flask.Flask, cookies: dict) -> WebUser | None:
    """The user of a background callback (which runs outside the request): read from its session cookie."""
    raw = (cookies or {}).get(server.config.get("SESSION_COOKIE_NAME", "session"))
    if not raw:
        return None
    serializer = server.session_interface.get_signing_serializer(server)
    try:
        data = serializer.loads(raw, max_age=int(server.permanent_session_lifetime.total_seconds()))
    except Exception:  # noqa: BLE001 — a bad or expired cookie means nobody
        return None
    return load_user(server, data.get("_user_id"))


def safe_next(target: str | None) -> str:
    """Only a local path is followed after the login (no scheme, no host, no '//' or backslash tricks)."""
    if not target or not isinstance(target, str):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")) \
            or "\\" in target or any(ord(ch) < 32 for ch in target):
        return "/"
    return target


def allowed_page(path: str, role: str | None) -> bool:
    roles = PAGE_ROLES.get(path.rstrip("/") or "/")
    return roles is None or role in roles


def callback_output_ids(body: object) -> list[str]:
    """The component ids (dict ids by their 'type') a Dash callback request writes to."""
    if not isinstance(body, dict):
        return []
    outputs = body.get("outputs")
    outputs = outputs if isinstance(outputs, list) else [outputs]
    found = []
    for out in outputs:
        for item in (out if isinstance(out, list) else [out]):
            ident = item.get("id") if isinstance(item, dict) else None
            if isinstance(ident, dict):
                ident = ident.get("type")
            if isinstance(ident, str):
                found.append(ident)
    if not found and isinstance(body.get("output"), str):
        found = [part.split(".")[0] for part in body["output"].strip(".").split("...") if part]
    return found


def allowed_callback(body: object, role: str | None) -> bool:
    for ident in callback_output_ids(body):
        for prefix, roles in CALLBACK_ROLES.items():
            if ident.startswith(prefix) and role not in roles:
                return False
    return True


def install(server: flask.Flask) -> None:
    """Flask-Login, the login routes and the guard, on this server only."""
    manager = LoginManager()
    manager.init_app(server)
    manager.session_protection = "basic"
    manager.user_loader(lambda user_id: load_user(server, user_id))

    @server.before_request
    def guard():
        path = flask.request.path
        if path.startswith(PUBLIC_PREFIXES):
            return None
        who = user()
        if who is None:
            if path.startswith("/_dash-") or path.startswith("/_reload-hash"):
                return security.plain_error(401, "请先登录", "Please log in")
            nxt = flask.request.full_path.rstrip("?")
            return flask.redirect("/login?" + _query(next=nxt))
        if not allowed_page(path, who.role):
            return security.plain_error(403, t("forbidden", "zh"), t("forbidden", "en"))
        if path == "/_dash-update-component" and not allowed_callback(flask.request.get_json(silent=True), who.role):
            log.warning("callback refused for %s (%s)", who.username, who.role)
            return security.plain_error(403, "您的账号无权执行此操作", "Your account may not do this")
        return None

    @server.route("/login", methods=["GET", "POST"])
    def login():
        lang = login_page.language(flask.request)
        nxt = safe_next(flask.request.values.get("next"))
        if flask.request.method == "GET":
            if user():
                return flask.redirect(nxt)
            return login_page.render(lang, nxt, security.csrf_token())
        engine = server.config["SHEQU_ENGINE"]
        username = (flask.request.form.get("username") or "").strip()[:64]
        found, reason = authenticate(engine, username, flask.request.form.get("password") or "")
        if found is None:
            audit.record(engine, "login-failed", username, flask.request.remote_addr, reason=reason)
            return login_page.render(lang, nxt, security.csrf_token(), error=reason, username=username), 401
        flask.session.clear()                     # a new session at login: nothing carried over from before
        login_user(WebUser(found))
        security.rotate_csrf_token()
        audit.record(engine, "login", found.username, flask.request.remote_addr)
        return flask.redirect(nxt)

    @server.route("/logout", methods=["GET", "POST"])
    def logout():
        who = user()
        if flask.request.method == "GET":        # a link shows a confirmation; only the POST (with CSRF) logs out
            if who is None:
                return flask.redirect("/login")
            return login_page.render_logout(login_page.language(flask.request), security.csrf_token())
        if who is not None:
            audit.record(server.config["SHEQU_ENGINE"], "logout", who.username, flask.request.remote_addr)
        logout_user()
        flask.session.clear()
        return flask.redirect("/login")


def _query(**params) -> str:
    from urllib.parse import urlencode
    return urlencode(params)

