"""The dashboard's side of deliveries: /reporting shows each period's deadline and marks late returns (zh and en);
/admin shows and edits a user's e-mail, for admins only."""
from __future__ import annotations

import json

import pytest

from dash_requests import client_login, outputs, routing_body, routing_spec
from deliveries import PASSWORD, delivery_template, delivery_url, write_config  # noqa: F401

from dashboard import admin_actions, auth, ids
from dashboard.app import create_app
from etl.store.audit import events
from etl.store.db import make_engine
from etl.store.users import get_user

BASE = "http://localhost"


@pytest.fixture
def app(delivery_url, tmp_path, monkeypatch):
    # 2014's returns were loaded (today) long after its deadline, and 容县's never came; 2015's is years ahead.
    monkeypatch.setenv("SHEQU_CONFIG", str(write_config(tmp_path / "city.toml",
                                                        extra='[deadlines]\n"2014" = "2015-01-20"\n'
                                                              '"2015" = "2099-01-15"\n')))
    return create_app(delivery_url, basis="current", secret_key="delivery-web", cache_dir=tmp_path / "cache")


def page(app, user: str, path: str, query: str = "") -> str:
    """The page as the browser gets it after a login: the routing callback's answer."""
    client = app.server.test_client()
    headers = client_login(client, user, PASSWORD)
    spec = routing_spec(client.get("/_dash-dependencies", headers=headers).get_json())
    answer = client.post("/_dash-update-component", json=routing_body(spec, BASE, path, query), headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_data(as_text=True)


@pytest.mark.parametrize("lang, deadline, late, missing", [("zh", "报送截止", "逾期", "未报送"),
                                                         ("en", "Deadline", "Late", "Not received")])
def test_reporting_shows_the_deadline_and_marks_late_returns(app, lang, deadline, late, missing):
    shown = json.loads(page(app, "wang", "/reporting", f"?period=2015&lang={lang}"))
    text = json.dumps(shown, ensure_ascii=False)
    assert deadline in text and "2015-01-20" in text and "2099-01-15" in text
    marks = [m for m in _spans(shown) if "late-mark" in (m.get("className") or "")]
    assert len(marks) == 7 and {m["children"] for m in marks} == {late}       # all of 2014's, none of 2015's
    assert missing in text


def test_a_period_without_a_deadline_marks_nobody_late(delivery_url, tmp_path, monkeypatch):
    """No date the city set (no [deadlines] entry, no days_after_period rule): "not set", and no return is called
    late — returns loaded years after their period (a city's history, the demo) are not late by an invented rule."""
    monkeypatch.setenv("SHEQU_CONFIG", str(write_config(tmp_path / "city.toml")))
    app = create_app(delivery_url, basis="current", secret_key="delivery-web", cache_dir=tmp_path / "cache")
    shown = json.loads(page(app, "wang", "/reporting", "?period=2015"))
    deadlines = [m["children"] for m in _spans(shown) if "deadline" in (m.get("className") or "").split()]
    assert deadlines == ["未设定", "未设定"]
    assert not [m for m in _spans(shown) if "late-mark" in (m.get("className") or "")]


def _spans(node):
    """Every component's props in a Dash JSON tree."""
    if isinstance(node, dict):
        if "props" in node:
            yield node["props"]
        for value in node.values():
            yield from _spans(value)
    elif isinstance(node, list):
        for value in node:
            yield from _spans(value)


def test_admins_set_a_users_email_and_others_may_not(delivery_url):
    engine = make_engine(delivery_url)
    admin, viewer = (auth.WebUser(get_user(engine, n)).user for n in ("chen", "wang"))
    assert admin_actions.set_user_email(engine, viewer, "li", "x@y.cn") == (False, "forbidden", {})
    assert admin_actions.set_user_email(engine, admin, "li", "not an address") == \
        (False, "email_bad", {"email": "not an address"})
    assert admin_actions.set_user_email(engine, admin, "li", " li@new.example.cn ")[:2] == (True, "email_saved")
    assert get_user(engine, "li").email == "li@new.example.cn"
    assert admin_actions.set_user_email(engine, admin, "li", "")[:2] == (True, "email_removed")
    assert get_user(engine, "li").email is None
    ok, key, _ = admin_actions.create_user(engine, admin, "zhou", "long-enough-1", "viewer", None, email="zhou@x.cn")
    assert ok and get_user(engine, "zhou").email == "zhou@x.cn"
    assert admin_actions.create_user(engine, admin, "wu", "long-enough-1", "viewer", None, email="wu@")[1] == "email_bad"
    assert (events(engine)["action"] == "user-email").sum() == 2


def test_the_admin_page_shows_emails_and_fills_in_the_chosen_users(app):
    assert "li@beiliu.example.cn" in page(app, "chen", "/admin", "?lang=en")
    body = {"output": f"{ids.ADMIN_USER_EMAIL}.value", "outputs": outputs(f"{ids.ADMIN_USER_EMAIL}.value"),
            "inputs": [{"id": ids.ADMIN_USER_PICK, "property": "value", "value": "li"}],
            "changedPropIds": [f"{ids.ADMIN_USER_PICK}.value"], "state": []}
    for user, status in (("chen", 200), ("wang", 403), ("li", 403)):
        client = app.server.test_client()
        headers = client_login(client, user, PASSWORD)
        answer = client.post("/_dash-update-component", json=body, headers=headers)
        assert answer.status_code == status
        if status == 200:
            assert answer.get_json()["response"][ids.ADMIN_USER_EMAIL]["value"] == "li@beiliu.example.cn"
        else:
            assert "beiliu.example.cn" not in answer.get_data(as_text=True)


@pytest.mark.parametrize("action, detail, lang, said", [
    ("delivery-sent", {"kind": "briefing", "period": "2015", "slot": "2026-12-07 08:00", "channel": "email",
                       "recipient": "li@beiliu.example.cn", "scope": "北流市", "attempts": 1, "error": None}, "zh",
     ("已发送", "2015年；简报；电子邮件；收件人 li@beiliu.example.cn；范围：北流市；时段 2026-12-07 08:00；尝试 1 次")),
    ("delivery-failed", {"kind": "reminder", "period": "2014", "channel": "dingtalk", "recipient": "group",
                         "attempts": 3, "error": "RobotError: errcode 93000"}, "en",
     ("Delivery failed", "2014; reminder; DingTalk group robot; to group; attempts: 3; error: RobotError: errcode 93000")),
    ("user-email", {"user": "li", "email": "li@beiliu.example.cn"}, "en",
     ("E-mail changed", "user li; e-mail li@beiliu.example.cn")),
])
def test_deliveries_are_said_in_words_in_the_audit_log(action, detail, lang, said):
    from dashboard.audit_view import action_label, describe
    assert (action_label(action, lang), describe(json.dumps(detail, ensure_ascii=False), lang, {})) == said
