"""Views drawn ahead (dashboard/predraw.py): exactly what a click draws, served to the first click, within budget."""
from __future__ import annotations

import pytest

from dashboard import predraw
from dashboard.app import create_app
from dashboard.data import source_for
from dashboard.response_cache import EXTENSION
from etl.ingest import ingest_path
from etl.store.users import add_user
from returns import simple_return, standard_rows
from test_response_cache import page_request
from test_web_auth import PASSWORD, login


@pytest.fixture
def app_with_data(engine, db_url, tmp_path):
    """Two returns (two periods), a viewer and an admin; the app shows submitted returns."""
    add_user(engine, "view", PASSWORD, "viewer")
    add_user(engine, "adm", PASSWORD, "admin")
    ingest_path(engine, simple_return(tmp_path / "a.xlsx", rows=standard_rows(area=432, items=17)))
    ingest_path(engine, simple_return(tmp_path / "b.xlsx", rows=standard_rows(area=876, items=41),
                                      title=[["填报单位：北流市", "报告期：2014年"]]))
    return create_app(db_url, basis="current", secret_key="k", cache_dir=tmp_path / "cache")


def test_a_view_drawn_ahead_is_what_a_click_draws_and_answers_the_first_click(app_with_data, engine):
    app = app_with_data
    cache = app.server.extensions[EXTENSION]
    drawn = predraw.predraw(app.server, source_for(engine, "current"))
    assert drawn == len(cache._entries) > 0
    viewer = app.server.test_client()
    login(viewer, "view")
    views = (("/", ""), ("/", "?period=2015"), ("/counties", "?county=450981&period=2015"),
             ("/", "?period=2014&lang=en"), ("/scorecard", "?period=2015&sort=services_mean"))
    ahead = {}
    for path, search in views:
        ahead[path, search] = page_request(viewer, path, search)
        assert len(cache._entries) == drawn, f"{path}{search} was not drawn ahead"
    blocks = {search: block_request(viewer, search) for search in ("?county=450981", "?period=2015")}
    assert len(cache._entries) == drawn, "the grid's first block was not drawn ahead"
    cache.clear()
    again = app.server.test_client()              # the same visit again (the English view set the cookie)
    login(again, "view")
    for (path, search), answer in ahead.items():
        assert page_request(again, path, search) == answer, f"{path}{search} drawn ahead differs from a click"
    for search, answer in blocks.items():
        assert block_request(again, search) == answer
    assert '"rowCount":3' in answer


def block_request(client, search):
    """The grid's first request for the view at /communities+search, as Chromium sends it (an `api` included)."""
    body = {"output": "..community-grid.getRowsResponse...community-count.children..",
            "outputs": [{"id": "community-grid", "property": "getRowsResponse"},
                        {"id": "community-count", "property": "children"}],
            "inputs": [{"id": "community-grid", "property": "getRowsRequest",
                        "value": {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}, "api": {}}}],
            "state": [{"id": "url", "property": "search", "value": search}],
            "changedPropIds": ["community-grid.getRowsRequest"]}
    response = client.post("/_dash-update-component", json=body,
                           headers={"X-CSRFToken": client.get_cookie("_csrf_token").value})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_drawing_ahead_keeps_to_its_budget_and_stops_when_the_data_move_on(app_with_data, engine):
    app = app_with_data
    cache = app.server.extensions[EXTENSION]
    src = source_for(engine, "current")
    assert predraw.predraw(app.server, src, predraw.Budget(views=5)) == 5 == len(cache._entries)
    cache.clear()
    checks = iter([True, True, False])
    assert predraw.predraw(app.server, src, still_current=lambda: next(checks, False)) == 2


def test_the_warm_up_draws_ahead_after_each_load(app_with_data, engine, tmp_path, monkeypatch, request):
    from dashboard import warmup
    import time
    monkeypatch.setattr(warmup, "POLL_SECONDS", 0.2)
    app = app_with_data
    cache = app.server.extensions[EXTENSION]
    warmer = warmup.start(app.server)
    request.addfinalizer(warmer.stop)          # not left polling the next test's database
    deadline = time.monotonic() + 120
    while not warmer.ready:
        assert time.monotonic() < deadline, "the warm-up did not finish"
        time.sleep(0.1)
    viewer = app.server.test_client()
    login(viewer, "view")
    before = page_request(viewer, "/counties", "?county=450981")
    ingest_path(engine, simple_return(tmp_path / "c.xlsx", rows=standard_rows(area=555, items=30)))
    version = source_for(engine, "current").version
    while warmer.version != version or not warmer.ready:
        assert time.monotonic() < deadline, "the warm-up did not redraw after the load"
        time.sleep(0.1)
    entries = len(cache._entries)
    after = page_request(viewer, "/counties", "?county=450981")
    assert len(cache._entries) == entries                    # the new data's view was drawn ahead
    assert after != before
    cache.clear()
    assert page_request(viewer, "/counties", "?county=450981") == after


def test_the_warm_up_draws_nothing_while_a_person_is_clicking(app_with_data, monkeypatch, request):
    """A person's requests (here a page that needs a login) hold the warm-up back; a probe's /health does not."""
    from dashboard import warmup
    import time
    monkeypatch.setattr(warmup, "MAX_YIELD_S", 10.0)     # longer than the person clicks here
    app = app_with_data
    cache = app.server.extensions[EXTENSION]
    person = app.server.test_client()
    person.get("/scorecard")
    warmer = warmup.start(app.server)
    request.addfinalizer(warmer.stop)
    clicking_until = time.monotonic() + 3
    while time.monotonic() < clicking_until:
        assert person.get("/scorecard").status_code == 302
        time.sleep(0.25)
        assert len(cache._entries) == 0 and not warmer.ready
    deadline = time.monotonic() + 60
    while not warmer.ready:
        assert app.server.test_client().get("/health").status_code == 200
        assert time.monotonic() < deadline, "the warm-up did not resume once the person was quiet"
        time.sleep(0.1)
    assert len(cache._entries) > 0


def test_time_spent_waiting_for_people_is_not_counted_in_the_budget(app_with_data, engine):
    import time

    def pause():
        time.sleep(0.5)
        return 0.5

    # Five pauses (2.5 s) would spend the 2 s budget after four views, were they counted.
    drawn = predraw.predraw(app_with_data.server, source_for(engine, "current"), predraw.Budget(seconds=2, views=5),
                            pause=pause)
    assert drawn == 5
