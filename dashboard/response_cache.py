"""The officials' read-only views, answered from memory while the data are unchanged.

Many people open the same view (the 2015 overview before a meeting); it is drawn once per data version and
the answer bytes are reused. A page's key is the view it shows — path, language, basis, period (as resolved:
"/" and "/?period=<latest>" are one view), the rest of its query and the role (whose menu it shows) — with the
database's data version, which changes on every load or status change, so a stale view is never served. A
page holds nothing of a user's own: the name and CSRF token come with the app's shell (dashboard/app.py), and
tests/test_response_cache.py holds every read-only page to that. A block of the communities grid is keyed the
same way, with the block's rows, order and filters. The cache belongs to one app (a worker process); workers
need not share it, since the data version keeps each one correct. dashboard/warmup.py fills it ahead of the
first click.
"""
from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from urllib.parse import parse_qs

import flask

from . import auth, data, ids
from .components import lang_to_remember, parse_basis, remember_lang
from .i18n import parse_lang
from .urls import parse_search, text_param

READ_ONLY_PAGES = frozenset({"/", "/scorecard", "/counties", "/communities", "/leaders", "/reporting",
                             "/briefing"})
ROUTING_OUTPUT = ids.PAGES_CONTENT
# Other read-only answers: a block of the communities grid (its request and the address are in the body).
READ_ONLY_OUTPUTS = (f"..{ids.COMMUNITY_GRID}.getRowsResponse...",)
EXTENSION = "shequ_response_cache"


class ResponseCache:
    """Answers by key, least recently used first out, within a number of entries and of bytes."""

    def __init__(self, max_entries: int, max_bytes: int):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
            return body

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return key in self._entries

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def put(self, key: str, body: bytes) -> None:
        with self._lock:
            self._bytes += len(body) - len(self._entries.get(key, b""))
            self._entries[key] = body
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries or (self._bytes > self.max_bytes and len(self._entries) > 1):
                self._bytes -= len(self._entries.popitem(last=False)[1])


def install(server: flask.Flask, max_entries: int = 2048, max_bytes: int = 256 * 2**20) -> None:
    """Register after the login guard and CSRF check, so a cached answer is only ever given to whom they admit."""
    server.extensions[EXTENSION] = ResponseCache(max_entries, max_bytes)

    @server.before_request
    def answer_from_cache():
        found = _key(server)
        if found is None:
            return None
        key, lang = found
        body = server.extensions[EXTENSION].get(key)
        if body is not None:
            response = flask.Response(body, mimetype="application/json")
            if lang:                # what the page itself does when drawn (components.make_view)
                remember_lang(response, lang)
            return response
        flask.g.response_cache_key = key
        return None

    @server.after_request
    def remember_answer(response):
        key = flask.g.pop("response_cache_key", None)
        if key and response.status_code == 200 and not response.direct_passthrough:
            server.extensions[EXTENSION].put(key, response.get_data())
        return response


def _key(server: flask.Flask) -> tuple[str, str | None] | None:
    """The request's key and, for a page, the language to remember in the cookie; None when not cacheable."""
    request = flask.request
    if request.method != "POST" or request.path != "/_dash-update-component":
        return None
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return None
    output = str(body.get("output", ""))
    cookie = request.cookies.get(ids.LANG_COOKIE)
    user = auth.user()
    if ROUTING_OUTPUT in output:
        values = {i.get("property"): i.get("value") for i in body.get("inputs", []) if isinstance(i, dict)}
        if values.get("pathname") not in READ_ONLY_PAGES or user is None:
            return None
        return page_key(values["pathname"], values.get("search"), cookie, user.role)
    if not output.startswith(READ_ONLY_OUTPUTS) or user is None:
        return None
    inputs = {i.get("property"): i.get("value") for i in body.get("inputs", []) if isinstance(i, dict)}
    state = {i.get("property"): i.get("value") for i in body.get("state", []) if isinstance(i, dict)}
    return grid_key(state.get("search"), inputs.get("getRowsRequest"), cookie, user.role)


def page_key(path: str, search, cookie: str | None, role: str) -> tuple[str, str | None]:
    """The key of the view a page shows for this address, language cookie and role (whose menu it shows), inside
    the app's context; and the language the page would remember in the cookie."""
    return _view_key(("page", path, role), page_query(search), cookie)


def grid_key(search, block, cookie: str | None, role: str) -> tuple[str, str | None]:
    """The key of a block of the communities grid: the view of its address (read as the grid's callback reads
    it, urls.parse_search) and the block's rows, order and filters (what else the grid sends is not read)."""
    query = {k: v for k, v in parse_search(search if isinstance(search, str) else "").items() if text_param(v)}
    if isinstance(block, dict):
        block = {k: block.get(k) for k in ("startRow", "endRow", "sortModel", "filterModel")}
    return _view_key(("grid", role, json.dumps(block, sort_keys=True, default=str)), query, cookie)


def _view_key(what: tuple, query: dict[str, str], cookie: str | None) -> tuple[str, str | None]:
    asked = query.pop("lang", None)
    lang = parse_lang(asked, cookie)
    src = data.source(parse_basis(query.pop(ids.BASIS, None)))
    period = data.resolve_period(src, query.pop("period", None))
    parts = (*what, lang, src.basis, period, sorted(query.items()), src.url, src.version)
    return _digest(parts), lang_to_remember(asked, cookie)


def page_query(search) -> dict[str, str]:
    """The query as a page's layout reads it: Dash Pages parses '?…' (a repeated key gives a list), and the
    pages take the last value, a blank one meaning none (urls.text_param)."""
    if not isinstance(search, str) or not search.startswith("?"):
        return {}
    return {k: v[-1] for k, v in parse_qs(search[1:], keep_blank_values=True).items() if v[-1].strip()}


def _digest(parts: tuple) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()
