"""Logins, the guard, CSRF and the security headers, through Flask's test client on a real database."""
from __future__ import annotations

import json

import pytest
from dash_requests import form_token

from dashboard import auth
from dashboard.app import create_app
from etl.store.audit import events
from etl.store.users import add_user

PASSWORD = "web-pass-123"


@pytest.fixture
def app(engine, db_url, tmp_path):
    add_user(engine, "adm", PASSWORD, "admin")
    add_user(engine, "view", PASSWORD, "viewer")
    add_user(engine, "ana", PASSWORD, "analyst", "450981")
    return create_app(db_url, secret_key="test-key", cache_dir=tmp_path / "cache")


def token(client, path="/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return form_token(page)


def login(client, username, password=PASSWORD, next_path=None, addr="127.0.0.1"):
    data = {"username": username, "password": password, "csrf_token": token(client)}
    if next_path is not None:
        data["next"] = next_path
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": addr})


def test_every_page_and_dash_request_needs_a_login(app):
    client = app.server.test_client()
    for path in ("/", "/scorecard", "/upload", "/admin", "/export?period=2015"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    for path in ("/_dash-layout", "/_dash-dependencies"):
        assert client.get(path).status_code == 401
    assert client.get("/health").status_code == 200
    assert client.get("/login").status_code == 200


def test_login_sets_a_safe_session_and_is_audited(app, engine):
    client = app.server.test_client()
    response = login(client, "adm", next_path="/scorecard?period=2015")
    assert response.status_code == 302 and response.headers["Location"] == "/scorecard?period=2015"
    cookies = response.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session and "SameSite=Lax" in session and "Secure" not in session
    assert client.get("/_dash-layout").status_code == 200
    assert list(events(engine)["action"])[:1] == ["login"]


def test_secure_cookies_behind_https(engine, db_url, tmp_path, monkeypatch):
    add_user(engine, "adm", PASSWORD, "admin")
    monkeypatch.setenv("SHEQU_SECURE_COOKIES", "1")
    client = create_app(db_url, secret_key="k", cache_dir=tmp_path).server.test_client()
    session = next(c for c in login(client, "adm").headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in session


@pytest.mark.parametrize("target, expected", [
    ("/scorecard?period=2015", "/scorecard?period=2015"), ("//evil.example/x", "/"), ("https://evil.example/", "/"),
    ("/\\evil.example", "/"), ("javascript:alert(1)", "/"), ("", "/"), (None, "/"), ("/ok\r\nSet-Cookie: x", "/"),
])
def test_next_only_follows_local_paths(target, expected):
    assert auth.safe_next(target) == expected


def test_wrong_passwords_throttle_the_address_not_the_account(app, engine):
    stranger, owner = app.server.test_client(), app.server.test_client()
    for _ in range(5):
        assert login(stranger, "ana", "wrong-password", addr="10.9.9.9").status_code == 401
    response = login(stranger, "ana", addr="10.9.9.9")      # even the right password waits out the back-off
    assert response.status_code == 429 and "请 1 分钟后再试" in response.get_data(as_text=True)
    assert stranger.get("/_dash-layout").status_code == 401
    assert login(owner, "ana", addr="10.1.1.1").status_code == 302     # the owner, from her own address
    assert owner.get("/_dash-layout").status_code == 200
    failed = events(engine).query("action == 'login-failed'")
    assert sorted(json.loads(d)["reason"] for d in failed["detail"]) == ["password"] * 5 + ["throttled"]


def test_post_without_csrf_token_is_refused(app, engine):
    client = app.server.test_client()
    client.get("/login")
    response = client.post("/login", data={"username": "adm", "password": PASSWORD})
    assert response.status_code == 400 and "Traceback" not in response.get_data(as_text=True)
    assert "login" not in list(events(engine)["action"])
    assert login(client, "adm").status_code == 302
    body = {"output": "x.children", "outputs": {"id": "x", "property": "children"}, "inputs": [], "changedPropIds": []}
    assert client.post("/_dash-update-component", json=body).status_code == 400
    assert client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": "forged"}).status_code == 400
    assert client.post("/logout").status_code == 400         # logging out is a POST with the token too


def test_csrf_cookie_matches_the_session_token_and_changes_at_login(app):
    client = app.server.test_client()
    before = token(client)
    assert client.get_cookie("_csrf_token").value == before
    login(client, "adm")
    after = client.get_cookie("_csrf_token").value
    assert after != before
    body = {"output": "x.children", "outputs": {"id": "x", "property": "children"}, "inputs": [], "changedPropIds": []}
    assert client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": before}).status_code == 400


def test_security_headers_on_every_response(app):
    client = app.server.test_client()
    for path in ("/login", "/health", "/", "/_dash-layout", "/assets/app.css"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "http" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"


def test_roles_decide_pages_and_callbacks(app):
    viewer, analyst, admin = (app.server.test_client() for _ in range(3))
    login(viewer, "view"), login(analyst, "ana"), login(admin, "adm")
    assert viewer.get("/upload").status_code == 403 and viewer.get("/admin").status_code == 403
    assert analyst.get("/upload").status_code == 200 and analyst.get("/admin").status_code == 403
    assert admin.get("/upload").status_code == 200 and admin.get("/admin").status_code == 200
    admin_body = {"output": "admin-message.children", "outputs": [{"id": "admin-message", "property": "children"}],
                  "inputs": [{"id": "admin-approve", "property": "n_clicks", "value": 1}],
                  "changedPropIds": ["admin-approve.n_clicks"], "state": []}
    for client, status in ((viewer, 403), (analyst, 403)):
        headers = {"X-CSRFToken": client.get_cookie("_csrf_token").value}
        assert client.post("/_dash-update-component", json=admin_body, headers=headers).status_code == status


def test_logout_ends_the_session_and_is_audited(app, engine):
    client = app.server.test_client()
    login(client, "adm")
    assert "logout-confirm" in client.get("/logout").get_data(as_text=True)   # a GET only asks
    assert client.get("/_dash-layout").status_code == 200
    response = client.post("/logout", data={"csrf_token": client.get_cookie("_csrf_token").value})
    assert response.status_code == 302 and client.get("/_dash-layout").status_code == 401
    assert "logout" in list(events(engine)["action"])


def test_a_disabled_user_is_logged_out_at_once(app, engine):
    from etl.store.users import set_disabled
    client = app.server.test_client()
    login(client, "view")
    assert client.get("/_dash-layout").status_code == 200
    set_disabled(engine, "view", True)
    assert client.get("/_dash-layout").status_code == 401


def test_errors_never_show_a_traceback(app):
    @app.server.route("/boom")
    def boom():
        raise RuntimeError("secret internals")
    client = app.server.test_client()
    login(client, "adm")
    response = client.get("/boom")
    text = response.get_data(as_text=True)
    assert response.status_code == 500 and "Traceback" not in text and "secret internals" not in text


@pytest.mark.parametrize("body, ids", [
    ({"outputs": {"id": "upload-results", "property": "children"}}, ["upload-results"]),
    ({"outputs": [{"id": {"type": "upload-outcome", "token": "t"}, "property": "children"}]}, ["upload-outcome"]),
    ({"output": "..admin-a.children...admin-b.value.."}, ["admin-a", "admin-b"]),
    (None, []), ({"outputs": "nonsense"}, []),
])
def test_callback_output_ids(body, ids):
    assert auth.callback_output_ids(body) == ids


def server_callbacks(app) -> dict[str, tuple[list[str], str]]:
    """Each callback the server runs, by Dash's key: its output ids and the module that defined it."""
    app.server.test_client().get("/login")          # Dash registers the routing callback at the first request
    found = {}
    for key, spec in app.callback_map.items():
        if "callback" not in spec:                  # clientside: runs in the browser, never asks the server
            continue
        function = getattr(spec["callback"], "__wrapped__", spec["callback"])
        found[key] = (auth.output_string_ids(key), function.__module__)
    return found


def test_every_callback_is_declared_with_no_more_roles_than_its_page_allows(app):
    import dash
    page_roles = {page["module"]: page.get("roles") for page in dash.page_registry.values()}
    found = server_callbacks(app)
    assert any(module == "dashboard.pages.admin" for _, module in found.values())
    for key, (outputs, module) in found.items():
        for ident in outputs:
            assert ident in auth.CALLBACK_ROLES, f"{ident} (callback {key} of {module}) is not in auth.CALLBACK_ROLES"
            assert set(auth.CALLBACK_ROLES[ident]) <= set(page_roles.get(module) or auth.EVERYONE), ident
    # The admin and upload pages' callbacks are theirs alone; nothing is declared that no callback writes.
    restricted = {i for outputs, module in found.values() if page_roles.get(module) for i in outputs}
    assert {auth.CALLBACK_ROLES[i] for i in restricted} == {auth.ADMINS, auth.UPLOADERS}
    assert set(auth.CALLBACK_ROLES) == {i for outputs, _ in found.values() for i in outputs}


def test_a_callback_is_judged_by_the_one_dash_runs_and_an_undeclared_one_is_refused_to_all(app):
    refresh = next(key for key, (outputs, _) in server_callbacks(app).items() if "admin-audit" in outputs)
    viewer, admin = app.server.test_client(), app.server.test_client()
    login(viewer, "view"), login(admin, "adm")
    # The outputs name a view anyone may draw; the output string, by which Dash picks the callback, is the
    # admin page's refresh (the users and the audit log).
    disguised = {"output": refresh, "outputs": [{"id": "url", "property": "search"}],
                 "inputs": [{"id": "admin-message", "property": "children", "value": "x"}],
                 "changedPropIds": ["admin-message.children"], "state": []}
    headers = {"X-CSRFToken": viewer.get_cookie("_csrf_token").value}
    response = viewer.post("/_dash-update-component", json=disguised, headers=headers)
    assert response.status_code == 403 and "admin-users-table" not in response.get_data(as_text=True)
    nobody = {"output": "not-declared.children", "outputs": {"id": "not-declared", "property": "children"},
              "inputs": [], "changedPropIds": [], "state": []}
    headers = {"X-CSRFToken": admin.get_cookie("_csrf_token").value}
    assert admin.post("/_dash-update-component", json=nobody, headers=headers).status_code == 403


@pytest.mark.parametrize("output, ids", [
    ("url.search", ["url"]),
    ("..admin-a.children...admin-b.value..", ["admin-a", "admin-b"]),
    ('..{"token":["MATCH"],"type":"upload-outcome"}.children...{"token":["MATCH"],"type":"x"}.children..',
     ["upload-outcome", "x"]),
    ("{not json}.children", []),
])
def test_output_string_ids(output, ids):
    assert auth.output_string_ids(output) == ids
