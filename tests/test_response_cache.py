"""Cached answers to the read-only views: reused while the data are unchanged, redrawn after a load, per role."""
from __future__ import annotations

import json

import pytest

from dashboard.app import create_app
from dashboard.ids import LANG_COOKIE
from dashboard.security import CSRF_COOKIE
from dashboard.response_cache import EXTENSION, READ_ONLY_PAGES
from etl.ingest import ingest_path
from etl.store.users import add_user
from dash_requests import outputs, routing_body, routing_spec
from returns import simple_return, standard_rows
from test_web_auth import PASSWORD, login


def overview_request(client, search="?period=2015&basis=current"):
    return page_request(client, "/", search)


def page_request(client, path, search):
    body = routing_body(routing_spec(client.get("/_dash-dependencies").get_json()), "http://localhost", path, search)
    response = client.post("/_dash-update-component", json=body,
                           headers={"X-CSRFToken": client.get_cookie("_csrf_token").value})
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def served(engine, db_url, tmp_path):
    """An app over a database holding one return, an admin logged in: (app, its answer cache, the admin's client)."""
    add_user(engine, "adm", PASSWORD, "admin")
    ingest_path(engine, simple_return(tmp_path / "a.xlsx", rows=standard_rows(area=432, items=17)))
    app = create_app(db_url, secret_key="k", cache_dir=tmp_path / "cache")
    admin = app.server.test_client()
    login(admin, "adm")
    return app, app.server.extensions[EXTENSION], admin


def test_a_view_is_drawn_once_per_data_version_and_role(served, engine, tmp_path):
    app, cache, admin = served
    add_user(engine, "view", PASSWORD, "viewer")
    first = overview_request(admin)
    assert len(cache._entries) == 1
    assert overview_request(admin) == first and len(cache._entries) == 1        # answered from memory
    viewer = app.server.test_client()
    login(viewer, "view")
    assert overview_request(viewer) != first and len(cache._entries) == 2       # another role: its own menu
    ingest_path(engine, simple_return(tmp_path / "b.xlsx", rows=standard_rows(area=876, items=41)))
    after = overview_request(admin)                                            # a load: drawn again
    assert after != first and len(cache._entries) == 3
    json.loads(after)


def test_addresses_of_one_view_share_its_answer(served):
    _app, cache, admin = served
    first = overview_request(admin, "?period=2015&basis=current")
    for same in ("?basis=current", "?basis=current&period=2015", "?basis=current&period=1999",
                 "?basis=current&period=2015&lang=zh", "?basis=current&indicator="):
        assert overview_request(admin, same) == first, same
    assert len(cache._entries) == 1
    english = overview_request(admin, "?period=2015&basis=current&lang=en")
    assert english != first and len(cache._entries) == 2
    assert overview_request(admin, "?period=2015&basis=current&indicator=services_mean") != first


def test_an_answer_from_memory_remembers_the_language_as_the_page_does(served, engine):
    app, _cache, admin = served
    add_user(engine, "view", PASSWORD, "viewer")
    overview_request(admin, "?basis=current&lang=en")                          # drawn, and the cookie set
    assert admin.get_cookie(LANG_COOKIE).value == "en"
    viewer = app.server.test_client()
    login(viewer, "view")
    overview_request(viewer, "?basis=current&lang=en")                         # from memory
    assert viewer.get_cookie(LANG_COOKIE).value == "en"


@pytest.mark.parametrize("path", sorted(READ_ONLY_PAGES))
def test_a_page_draws_the_same_view_for_every_user_of_a_role(served, engine, path):
    """What lets users share an answer: nothing of a user's own (name, CSRF token, county) in a page. The app's
    shell, drawn for each visit, brings the name and token (dashboard/app.py)."""
    app, cache, _admin = served
    answers = []
    for name, county in (("ana", "450981"), ("bea", "450902")):
        add_user(engine, name, PASSWORD, "analyst", county)
        client = app.server.test_client()
        login(client, name)
        cache.clear()
        answers.append(page_request(client, path, "?period=2015&basis=current"))
        assert name not in answers[-1] and client.get_cookie(CSRF_COOKIE).value not in answers[-1]
    assert answers[0] == answers[1]
    assert "error-state" not in answers[0]            # drawn (a return without a leader sheet: no links at all)


def test_a_block_of_the_communities_grid_is_reused_until_the_data_change(served, engine, tmp_path):
    _app, cache, client = served
    spec = next(d for d in client.get("/_dash-dependencies").get_json() if "getRowsResponse" in d["output"])
    body = {"output": spec["output"], "outputs": outputs(spec["output"]),
            "inputs": [{"id": "community-grid", "property": "getRowsRequest",
                        "value": {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}}}],
            "state": [{"id": "url", "property": "search", "value": "?basis=current"}],
            "changedPropIds": ["community-grid.getRowsRequest"]}

    def block():
        response = client.post("/_dash-update-component", json=body,
                               headers={"X-CSRFToken": client.get_cookie("_csrf_token").value})
        assert response.status_code == 200
        return response.get_data(as_text=True)

    first = block()
    assert json.loads(first)["response"]["community-grid"]["getRowsResponse"]["rowCount"] == 3
    assert len(cache._entries) == 1
    assert block() == first and len(cache._entries) == 1                        # answered from memory
    ingest_path(engine, simple_return(tmp_path / "b.xlsx", rows=standard_rows(area=876, items=41)))
    assert "876" in block() and len(cache._entries) == 2                       # a load: fetched again
