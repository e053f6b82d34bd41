"""Draws the views officials open first into the answer cache, after each data change, before anyone clicks.

A new data version empties the answers (dashboard/response_cache.py): without this, the first official to open
each view after a load waits for it to be drawn. The warm-up thread (dashboard/warmup.py) calls `predraw` once
the tables are built. Views are drawn in the order people need them — the latest period's pages in Chinese for
each role in use, then English, then each county (with the first block of the communities grid), indicator
and sort, then (a city's or a province's data, not a nation's) the earlier periods — each exactly
as a click would draw it (the page's own callback, for a user of that role), until a budget of time, views or
memory is spent. A view that is not drawn ahead is drawn at its first click, as before.
"""
from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import flask
from flask_login import login_user
from sqlalchemy import select

from etl.store.db import app_user
from etl.store.users import User

from . import data, ids, response_cache
from .auth import WebUser
from .i18n import LANGS

log = logging.getLogger(__name__)
DISPATCH = "/_dash-update-component"
ROUTING_OUTPUT = ".._pages_content.children..._pages_store.data.."
GRID_OUTPUT = f"..{ids.COMMUNITY_GRID}.getRowsResponse...{ids.COMMUNITY_COUNT}.children.."
PAGE_ORDER = ("/", "/scorecard", "/counties", "/communities", "/leaders", "/reporting", "/briefing")
MAX_COUNTIES = 60          # a province's or the nation's hundreds of counties: only the first ones ahead
# Earlier periods too, up to this many communities: each period drawn keeps its tables in memory (dashboard/data.py),
# which a nation's twelve periods would take a gigabyte for.
ALL_PERIODS_UP_TO = 20_000


@dataclass(frozen=True)
class Budget:
    seconds: float = 30.0
    views: int = 1000
    cache_share: float = 0.5       # of the answer cache's bytes, leaving the rest to what people open


def addresses(src: data.Source) -> Iterator[tuple[str, dict]]:
    """(path, query) of the common views, most wanted first; the language and role are varied by the caller."""
    latest = data.resolve_period(src, None)     # the period pages open on: the latest complete one
    if latest is None:
        return
    periods = [latest] + [p for p in reversed(data.periods(src)) if p != latest]
    for path in PAGE_ORDER:
        yield path, {"period": latest}
    counties = data.counties(src)["code"].tolist()[:MAX_COUNTIES]
    for county in counties:
        yield "/counties", {"county": county, "period": latest}
        yield "/communities", {"county": county, "period": latest}
    overview, scorecard = sys.modules["dashboard.pages.overview"], sys.modules["dashboard.pages.scorecard"]
    for indicator in overview.map_indicators():
        yield "/", {"indicator": indicator.id, "period": latest}
    for sort in scorecard.sort_keys():
        yield "/scorecard", {"sort": sort, "period": latest}
    if data.community_count(src, latest) <= ALL_PERIODS_UP_TO:
        for period in periods[1:]:
            for path in PAGE_ORDER:
                yield path, {"period": period}


ROLE_ORDER = ("viewer", "admin", "analyst")       # officials first


def roles_in_use(src: data.Source) -> list[str]:
    """The roles of the enabled users, in ROLE_ORDER."""
    with src.engine.connect() as conn:
        roles = {r for (r,) in conn.execute(select(app_user.c.role).where(app_user.c.disabled.is_(False)))}
    return sorted(roles, key=lambda r: ROLE_ORDER.index(r) if r in ROLE_ORDER else len(ROLE_ORDER))


def predraw(server: flask.Flask, src: data.Source, budget: Budget = Budget(),
            still_current=lambda: True, pause=lambda: 0.0) -> int:
    """Draw the common views of this data version into the answer cache; returns how many were drawn.

    Before each view `pause()` may wait for people (dashboard/warmup.py), returning the seconds it waited, which
    the budget of time does not count. Stops at the budget, or as soon as `still_current()` says the data moved
    on (the drawings would be keyed by the old version, never served).
    """
    cache = server.extensions.get(response_cache.EXTENSION)
    if cache is None:
        return 0
    dispatch = _dispatcher(server)
    started, drawn, paused = time.perf_counter(), 0, 0.0
    roles = roles_in_use(src)
    for path, query in addresses(src):
        for lang in LANGS:
            for role in roles:
                paused += pause()
                if (drawn >= budget.views or time.perf_counter() - started - paused > budget.seconds
                        or cache.size_bytes > budget.cache_share * cache.max_bytes or not still_current()):
                    return drawn
                drawn += _draw(server, dispatch, cache, path, query, lang, role)
                time.sleep(0)          # let the request threads have the interpreter between drawings
    return drawn


def _dispatcher(server: flask.Flask):
    """Dash's callback view. Dash registers the routing callback at the first request: make one if none came."""
    server.test_client().get("/health")
    endpoint, _ = server.url_map.bind("localhost").match(DISPATCH, method="POST")
    return server.view_functions[endpoint]


def _draw(server, dispatch, cache, path: str, query: dict, lang: str, role: str) -> int:
    """The page at path?query, and for the communities page the first block of its grid (what the browser asks
    for next); how many were drawn."""
    search = "?" + urlencode(query)
    drawn = _dispatch(server, dispatch, cache, _page_body(path, search), lang, role,
                      lambda: response_cache.page_key(path, search, lang, role))
    if path == "/communities":
        block = first_block()
        drawn += _dispatch(server, dispatch, cache, _block_body(search, block), lang, role,
                           lambda: response_cache.grid_key(search, block, lang, role))
    return drawn


def first_block() -> dict:
    """The grid's first request for a view (the browser adds an empty `api`, which the callback does not read)."""
    rows = sys.modules["dashboard.pages.communities"].BLOCK_ROWS
    return {"startRow": 0, "endRow": rows, "sortModel": [], "filterModel": {}}


def _page_body(path: str, search: str) -> dict:
    return {"output": ROUTING_OUTPUT,
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": search}],
            "changedPropIds": ["_pages_location.search"], "state": []}


def _block_body(search: str, block: dict) -> dict:
    return {"output": GRID_OUTPUT,
            "outputs": [{"id": ids.COMMUNITY_GRID, "property": "getRowsResponse"},
                        {"id": ids.COMMUNITY_COUNT, "property": "children"}],
            "inputs": [{"id": ids.COMMUNITY_GRID, "property": "getRowsRequest", "value": block}],
            "state": [{"id": ids.URL, "property": "search", "value": search}],
            "changedPropIds": [f"{ids.COMMUNITY_GRID}.getRowsRequest"]}


def _dispatch(server, dispatch, cache, body: dict, lang: str, role: str, key) -> int:
    """Draw one answer as a click of a user of the role would, keyed before drawing (a load meanwhile moves the
    data version: the answer is then stored under the old one, never served)."""
    with server.test_request_context(DISPATCH, method="POST", json=body,
                                     headers={"Cookie": f"{ids.LANG_COOKIE}={lang}"}):
        login_user(WebUser(User(0, "", role, None, False)))     # a user of the role, no one's own
        key, _ = key()
        if key in cache:
            return 0
        response = server.make_response(dispatch())
        if response.status_code != 200:
            return 0
        cache.put(key, response.get_data())
        return 1
