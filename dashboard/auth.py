"""Logins: Flask-Login over the database's users, the /login and /logout pages, and the guard on every request.

Access is decided on the server: a `before_request` refuses every page and `/_dash-*` request of a visitor who is
not logged in, refuses the pages a role may not see (PAGE_ROLES), and answers a callback only when every output
it writes is declared for the user's role in CALLBACK_ROLES. Callbacks that change data check the user again
themselves.
"""
from __future__ import annotations

import json
import logging
import math
from urllib.parse import urlsplit

import flask
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from etl.config import load_settings
from etl.store import audit, sessions
from etl.store.users import ROLES, User, authenticate, dummy_hash, session_user

from . import ids, login_page, security
from .i18n import t

log = logging.getLogger(__name__)

EVERYONE = ROLES
UPLOADERS = ("analyst", "admin")
ADMINS = ("admin",)
# Pages (path → roles) only some roles may open.
PAGE_ROLES = {"/upload": UPLOADERS, "/admin": ADMINS}
# Every server-side callback, declared by the ids of the outputs it writes (a pattern id by its type), with the
# roles that may call it. A request is answered only when each output it names is declared here for the user's
# role. An output that is not declared is refused to everyone, admins too: a new callback forgotten here fails
# closed, visibly (tests/test_web_auth.py checks every callback of the app against this table), and never opens
# to every role by default, as an id that merely lacked an `admin-` prefix did. Roles named once per output: a
# callback that writes to outputs of different roles is answered only to the roles common to all of them.
CALLBACK_ROLES: dict[str, tuple[str, ...]] = {
    # Read-only for every logged-in user. Dash Pages' routing draws any page (a page refuses a role by itself).
    ids.PAGES_CONTENT: EVERYONE, ids.PAGES_STORE: EVERYONE, ids.URL: EVERYONE, ids.URL_QUIET: EVERYONE,
    ids.COMMUNITY_GRID: EVERYONE, ids.COMMUNITY_COUNT: EVERYONE, ids.COMMUNITY_HISTORY: EVERYONE,
    ids.COMMUNITIES_DOWNLOAD: EVERYONE, ids.EXPORT_DOWNLOAD: EVERYONE, ids.EXPORT_MESSAGE: EVERYONE,
    # The upload page: the template, the dry run, the submission and the county's returns.
    ids.UPLOAD_TEMPLATE_DOWNLOAD: UPLOADERS, ids.UPLOAD_RESULTS: UPLOADERS, ids.UPLOAD_TOO_BIG_MESSAGE: UPLOADERS,
    ids.UPLOAD_OUTCOME: UPLOADERS, ids.UPLOAD_SUBMIT_PROGRESS: UPLOADERS, ids.UPLOAD_MY_RETURNS: UPLOADERS,
    ids.UPLOAD_DROPPED: UPLOADERS, ids.UPLOAD_REFUSED: UPLOADERS, ids.UPLOAD_FILES: UPLOADERS,
    # The admin page's registry change sets (dashboard/registry_panel.py): the dry run, the apply, the list.
    ids.REGISTRY_RESULT: ADMINS, ids.REGISTRY_TOKEN: ADMINS, ids.REGISTRY_APPLY_BAR: ADMINS, ids.REGISTRY_UPLOAD: ADMINS,
    ids.REGISTRY_SETS: ADMINS,
    # The admin page: review, publish, users, and the lists (returns, users, the audit log) they refresh.
    ids.ADMIN_MESSAGE: ADMINS, ids.ADMIN_CONFIRM: ADMINS, ids.ADMIN_PENDING: ADMINS, ids.ADMIN_PICK: ADMINS,
    ids.ADMIN_PUBLISH_MESSAGE: ADMINS, ids.ADMIN_USER_MESSAGE: ADMINS, ids.ADMIN_SUBMISSIONS: ADMINS,
    ids.ADMIN_APPROVE_PERIOD: ADMINS, ids.ADMIN_PUBLISH_PERIOD: ADMINS, ids.ADMIN_PUBLICATIONS: ADMINS,
    ids.ADMIN_USERS: ADMINS, ids.ADMIN_USER_PICK: ADMINS, ids.ADMIN_AUDIT: ADMINS, ids.ADMIN_USER_EMAIL: ADMINS,
}
PUBLIC_PREFIXES = ("/assets/", "/login", "/health", "/ready", "/favicon.ico")
SESSION_TOKEN = "sid"           # the server-side session's token, in the signed cookie


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


def load_user(server: flask.Flask, user_id, token: object) -> WebUser | None:
    """The user of a session: only while its server-side session (token) lives and belongs to that user, and the
    user exists and is not disabled. A cookie copied before a logout opens nothing afterwards."""
    user = session_user(server.config["SHEQU_ENGINE"], token, server.config["SHEQU_SESSION_LIFETIMES"])
    if user is None or str(user.id) != str(user_id):
        return None
    return WebUser(user) if not user.disabled else None


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
    return load_user(server, data.get("_user_id"), data.get(SESSION_TOKEN))


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
        found = output_string_ids(body["output"])
    return found


def output_string_ids(output: str) -> list[str]:
    """The component ids in Dash's output string ('a.children', '..a.children...{"type":"b",…}.value..'), the key
    by which Dash picks the callback to run."""
    multi = output.startswith("..") and output.endswith("..")
    found = []
    for part in (output[2:-2].split("...") if multi else [output]):
        ident = part.rsplit(".", 1)[0]
        if ident.startswith("{"):
            try:
                ident = json.loads(ident).get("type")
            except (ValueError, AttributeError):
                ident = None
        if isinstance(ident, str) and ident:
            found.append(ident)
    return found


def allowed_callback(body: object, role: str | None) -> bool:
    """True when every output the request names, in its outputs and in the output string Dash runs it by, is
    declared in CALLBACK_ROLES for this role. Nothing named, or anything undeclared: refused."""
    named = callback_output_ids(body)
    if isinstance(body, dict) and isinstance(body.get("output"), str):
        named = named + output_string_ids(body["output"])
    return bool(named) and all(role in CALLBACK_ROLES.get(ident, ()) for ident in named)


def install(server: flask.Flask) -> None:
    """Flask-Login, the login routes and the guard, on this server only."""
    lifetimes = sessions.Lifetimes.of(load_settings())
    server.config["SHEQU_SESSION_LIFETIMES"] = lifetimes
    server.permanent_session_lifetime = lifetimes.absolute     # no signed cookie outlives a session either
    dummy_hash()                    # made now, so that the first unknown name costs no more than a known one
    manager = LoginManager()
    manager.init_app(server)
    manager.session_protection = "basic"
    manager.user_loader(lambda user_id: load_user(server, user_id, flask.session.get(SESSION_TOKEN)))

    @server.before_request
    def guard():
        path = flask.request.path
        if path.startswith(PUBLIC_PREFIXES):
            return None
        who = user()
        if who is None:
            if path.startswith(("/_dash-", "/_reload-hash")):
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
        engine, remote = server.config["SHEQU_ENGINE"], flask.request.remote_addr
        username = (flask.request.form.get("username") or "").strip()[:64]
        attempt = authenticate(engine, username, flask.request.form.get("password") or "", remote)
        if attempt.user is None:
            audit.record(engine, "login-failed", username, remote, reason=attempt.reason)
            token = security.csrf_token()
            if attempt.reason == "throttled":
                minutes = max(1, math.ceil(attempt.retry_after.total_seconds() / 60))
                return login_page.render(lang, nxt, token, "throttled", username, minutes), 429
            # Unknown, wrong and disabled-with-a-wrong-password answer alike: nothing tells the accounts apart.
            error = "disabled" if attempt.reason == "disabled" else "invalid"
            return login_page.render(lang, nxt, token, error, username), 401
        flask.session.clear()                     # a new session at login: nothing carried over from before
        login_user(WebUser(attempt.user))
        flask.session[SESSION_TOKEN] = sessions.start(engine, attempt.user.id,
                                                      server.config["SHEQU_SESSION_LIFETIMES"], remote)
        security.rotate_csrf_token()
        audit.record(engine, "login", attempt.user.username, remote)
        return flask.redirect(nxt)

    @server.route("/logout", methods=["GET", "POST"])
    def logout():
        who = user()
        if flask.request.method == "GET":        # a link shows a confirmation; only the POST (with CSRF) logs out
            if who is None:
                return flask.redirect("/login")
            return login_page.render_logout(login_page.language(flask.request), security.csrf_token())
        if who is not None:
            sessions.end(server.config["SHEQU_ENGINE"], flask.session.get(SESSION_TOKEN))
            audit.record(server.config["SHEQU_ENGINE"], "logout", who.username, flask.request.remote_addr)
        logout_user()
        flask.session.clear()
        return flask.redirect("/login")


def _query(**params) -> str:
    from urllib.parse import urlencode
    return urlencode(params)

