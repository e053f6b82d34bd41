"""Sessions that end: a cookie copied before logout, a new password, disabling or an admin's "end all sessions"
opens nothing afterwards, on a real `shequ serve` process; idle and absolute lifetimes from the settings."""
from __future__ import annotations

import os
import signal
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
import requests
from dash_requests import http_login
from click.testing import CliRunner
from sqlalchemy import select, update
from test_serve import BIN, free_port, wait_for

from etl.cli import cli
from etl.config import load_settings
from etl.store import sessions
from etl.store.audit import events
from etl.store.db import make_engine, user_session
from etl.store.setup import init_db
from etl.store.users import add_user, end_sessions, get_user, set_disabled, set_password

PASSWORD = "session-pass-1"
LIFETIMES = sessions.Lifetimes(idle=timedelta(hours=8), absolute=timedelta(days=7))
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _seen(engine, token) -> datetime:
    with engine.connect() as conn:
        value = conn.execute(select(user_session.c.last_seen_at)
                             .where(user_session.c.id_hash == sessions.token_hash(token))).scalar_one()
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def test_a_session_lives_until_it_ends_idles_or_ages(engine):
    ana = add_user(engine, "ana", PASSWORD, "viewer")
    token = sessions.start(engine, ana.id, LIFETIMES, "10.0.0.1", now=T0)
    assert sessions.user_id_of(engine, token, LIFETIMES, now=T0 + timedelta(seconds=30)) == ana.id
    assert _seen(engine, token) == T0                        # within a minute: no write
    assert sessions.user_id_of(engine, token, LIFETIMES, now=T0 + timedelta(hours=7)) == ana.id
    assert _seen(engine, token) == T0 + timedelta(hours=7)   # noted, so the idle time starts again
    assert sessions.user_id_of(engine, token, LIFETIMES, now=T0 + timedelta(hours=15, minutes=1)) is None
    assert sessions.user_id_of(engine, "forged", LIFETIMES, now=T0) is None
    assert sessions.user_id_of(engine, None, LIFETIMES, now=T0) is None

    busy = sessions.start(engine, ana.id, LIFETIMES, now=T0)      # used every few hours, for more than 7 days
    for hours in range(6, 7 * 24, 6):
        assert sessions.user_id_of(engine, busy, LIFETIMES, now=T0 + timedelta(hours=hours)) == ana.id
    assert sessions.user_id_of(engine, busy, LIFETIMES, now=T0 + timedelta(days=7, hours=1)) is None

    now = datetime.now(UTC)
    live = sessions.start(engine, ana.id, LIFETIMES)
    sessions.end(engine, live)
    assert sessions.user_id_of(engine, live, LIFETIMES) is None
    assert sessions.user_id_of(engine, sessions.start(engine, ana.id, LIFETIMES), LIFETIMES, now) == ana.id


@pytest.mark.parametrize("how", ["password", "disable", "end-sessions"])
def test_a_new_password_disabling_or_end_sessions_end_every_session(engine, how):
    ana, bob = add_user(engine, "ana", PASSWORD, "viewer"), add_user(engine, "bob", PASSWORD, "viewer")
    tokens = [sessions.start(engine, ana.id, LIFETIMES) for _ in range(2)]
    other = sessions.start(engine, bob.id, LIFETIMES)
    if how == "password":
        set_password(engine, "ana", "a new password")
    elif how == "disable":
        set_disabled(engine, "ana")
    else:
        assert end_sessions(engine, "ana") == 2
    assert [sessions.user_id_of(engine, t, LIFETIMES) for t in tokens] == [None, None]
    assert sessions.user_id_of(engine, other, LIFETIMES) == bob.id     # nobody else's


def test_cli_end_sessions_logs_a_user_out_everywhere_and_is_audited(engine, db_url):
    ana = add_user(engine, "ana", PASSWORD, "viewer")
    token = sessions.start(engine, ana.id, LIFETIMES)
    result = CliRunner().invoke(cli, ["--db", db_url, "user", "end-sessions", "ana"])
    assert result.exit_code == 0 and "1 session(s) ended" in result.output
    assert sessions.user_id_of(engine, token, LIFETIMES) is None
    assert list(events(engine)["action"]) == ["end-sessions"]
    assert CliRunner().invoke(cli, ["--db", db_url, "user", "end-sessions", "nobody"]).exit_code == 1


def test_an_admin_ends_a_users_sessions_from_the_admin_page(engine):
    from dashboard.admin_actions import end_user_sessions
    from dashboard.auth import WebUser
    admin, viewer = (WebUser(add_user(engine, name, PASSWORD, role)) for name, role in (("adm", "admin"),
                                                                                       ("view", "viewer")))
    token = sessions.start(engine, viewer.user.id, LIFETIMES)
    assert end_user_sessions(engine, viewer, "adm")[1] == "forbidden"
    assert end_user_sessions(engine, admin, None)[1] == "choose_user"
    assert end_user_sessions(engine, admin, "nobody")[1] == "no_user"
    assert end_user_sessions(engine, admin, "view", "10.0.0.1") == (True, "sessions_ended", {"name": "view", "n": 1})
    assert sessions.user_id_of(engine, token, LIFETIMES) is None
    record = events(engine).iloc[0]
    assert (record["action"], record["username"], record["remote_addr"]) == ("end-sessions", "adm", "10.0.0.1")


def test_lifetimes_come_from_the_settings_and_shequ_config(tmp_path, monkeypatch):
    assert sessions.Lifetimes.of(load_settings()) == LIFETIMES
    own = tmp_path / "city.toml"
    own.write_text("[session]\nidle_hours = 0.5\nabsolute_days = 1\n", encoding="utf-8")
    monkeypatch.setenv("SHEQU_CONFIG", str(own))
    assert sessions.Lifetimes.of(load_settings()) == sessions.Lifetimes(timedelta(minutes=30), timedelta(days=1))
    own.write_text("[session]\nidle_hours = 0\n", encoding="utf-8")
    with pytest.raises(ValueError, match="idle_hours"):
        load_settings()


def test_a_background_callback_sees_no_user_once_the_session_ended(engine, db_url, tmp_path):
    from test_web_auth import login

    from dashboard import auth
    from dashboard.app import create_app
    add_user(engine, "ana", PASSWORD, "viewer")
    app = create_app(db_url, secret_key="k", cache_dir=tmp_path)
    client = app.server.test_client()
    assert login(client, "ana", PASSWORD).status_code == 302
    cookies = {"session": client.get_cookie("session").value}
    assert auth.user_from_cookies(app.server, cookies).username == "ana"
    end_sessions(engine, "ana")
    assert auth.user_from_cookies(app.server, cookies) is None


# --- a real server: the copied cookie replayed -------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`shequ serve` on a free port over its own SQLite file, with the city's lifetimes: 2 h idle, 1 day."""
    folder = tmp_path_factory.mktemp("serve")
    url = f"sqlite:///{folder / 'shequ.db'}"
    engine = make_engine(url)
    init_db(engine)
    add_user(engine, "adm", PASSWORD, "admin")
    config = folder / "city.toml"
    config.write_text("[session]\nidle_hours = 2\nabsolute_days = 1\n", encoding="utf-8")
    port = free_port()
    env = {**os.environ, "SHEQU_SECRET_KEY": "replay-test", "SHEQU_CONFIG": str(config),
           "SHEQU_CACHE_DIR": str(folder / "cache")}
    proc = subprocess.Popen([str(BIN / "shequ"), "--db", url, "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/health")
        yield f"http://127.0.0.1:{port}", engine
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
        engine.dispose()


def log_in(base: str, name: str) -> requests.Session:
    client = requests.Session()
    answer = http_login(client, base, name, PASSWORD)
    assert answer.status_code == 302, answer.text
    return client


def opens(base: str, cookie: str, path: str = "/admin") -> bool:
    """Whether the copied session cookie alone opens the page (else: sent to /login, or 401 for Dash)."""
    answer = requests.get(f"{base}{path}", cookies={"session": cookie}, allow_redirects=False, timeout=30)
    if answer.status_code == 200:
        return True
    assert answer.status_code == 401 or answer.headers["Location"].startswith("/login"), answer.status_code
    return False


def user_with_a_copied_cookie(base, engine, name, role="admin") -> tuple[requests.Session, str]:
    if get_user(engine, name) is None:
        add_user(engine, name, PASSWORD, role)
    client = log_in(base, name)
    copy = client.cookies["session"]
    assert opens(base, copy) and opens(base, copy, "/_dash-layout")
    return client, copy


def test_a_cookie_copied_before_logout_opens_nothing_after_it(server):
    base, engine = server
    client, copy = user_with_a_copied_cookie(base, engine, "carol")
    answer = client.post(f"{base}/logout", data={"csrf_token": client.cookies["_csrf_token"]}, allow_redirects=False)
    assert answer.status_code == 302
    assert not opens(base, copy) and not opens(base, copy, "/_dash-layout")


@pytest.mark.parametrize("change", [lambda e: set_password(e, "dave", "another password"),
                                    lambda e: set_disabled(e, "dave")], ids=["password", "disable"])
def test_a_new_password_or_disabling_ends_a_copied_session(server, change):
    base, engine = server
    _, copy = user_with_a_copied_cookie(base, engine, "dave")
    change(engine)
    assert not opens(base, copy) and not opens(base, copy, "/_dash-layout")
    set_disabled(engine, "dave", False)
    set_password(engine, "dave", PASSWORD)


def test_an_admins_end_all_sessions_ends_a_copied_session(server):
    base, engine = server
    _, copy = user_with_a_copied_cookie(base, engine, "erin")
    admin = log_in(base, "adm")
    headers = {"X-CSRFToken": admin.cookies["_csrf_token"]}
    spec = next(d for d in admin.get(f"{base}/_dash-dependencies").json() if d["output"] == "admin-user-message.children")
    values = {("admin-end-sessions", "n_clicks"): 1, ("admin-user-pick", "value"): "erin",
              ("admin-lang", "data"): "en"}

    def items(deps):
        return [{"id": d["id"], "property": d["property"], "value": values.get((d["id"], d["property"]))}
                for d in deps]

    body = {"output": spec["output"], "outputs": {"id": "admin-user-message", "property": "children"},
            "inputs": items(spec["inputs"]), "state": items(spec["state"]),
            "changedPropIds": ["admin-end-sessions.n_clicks"]}
    answer = admin.post(f"{base}/_dash-update-component", json=body, headers=headers)
    assert answer.status_code == 200 and "Ended 1 session(s) of user erin." in answer.text
    assert not opens(base, copy) and not opens(base, copy, "/_dash-layout")
    assert opens(base, admin.cookies["session"])                # the admin's own session goes on


def _move(engine, name, **ago):
    """Move a user's sessions back in time: last_seen_at and/or created_at this long ago."""
    now = datetime.now(UTC)
    user_id = get_user(engine, name).id
    with engine.begin() as conn:
        conn.execute(update(user_session).where(user_session.c.user_id == user_id)
                     .values({column: now - delta for column, delta in ago.items()}))


def test_idle_and_absolute_lifetimes_from_shequ_config_end_sessions(server):
    base, engine = server
    _, idle = user_with_a_copied_cookie(base, engine, "frank")
    _move(engine, "frank", last_seen_at=timedelta(hours=1, minutes=50))
    assert opens(base, idle)                                    # under the city's 2 hours: still open, and noted
    _move(engine, "frank", last_seen_at=timedelta(hours=2, minutes=5))
    assert not opens(base, idle)
    _, old = user_with_a_copied_cookie(base, engine, "grace")
    _move(engine, "grace", created_at=timedelta(hours=23), last_seen_at=timedelta(minutes=5))
    assert opens(base, old)
    _move(engine, "grace", created_at=timedelta(hours=25), last_seen_at=timedelta(minutes=5))
    assert not opens(base, old)


def test_a_request_reads_its_session_and_user_in_one_query(engine):
    """What every logged-in request costs the database: one statement (the session joined to its user)."""
    from sqlalchemy import event
    from etl.store.users import session_user
    ana = add_user(engine, "ana2", "pw-ana-2222", "analyst", "450981")
    token = sessions.start(engine, ana.id, LIFETIMES)
    statements = []
    listener = lambda *args: statements.append(args[2])
    event.listen(engine, "before_cursor_execute", listener)
    try:
        user = session_user(engine, token, LIFETIMES)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    queries = [s for s in statements if s.lstrip().upper().startswith("SELECT")]   # SQLite's BEGIN is no query
    assert user == ana and len(queries) == 1 and "JOIN app_user" in queries[0]
    assert session_user(engine, "forged", LIFETIMES) is None
