"""The officials' read-only views, answered from memory while the data are unchanged.

Many people open the same view (the 2015 overview before a meeting); it is drawn once per data version and
the answer bytes are reused. The key holds everything the answer depends on — the request body (page and
query), the user's role and county, the language cookie, the app's basis and the data version, which changes
on every load or status change — so a stale or another role's view is never served. The cache belongs to
one app (a worker process); workers need not share it, since the data version keeps each one correct.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import flask

from etl import queries

from . import auth, ids

READ_ONLY_PAGES = frozenset({"/", "/scorecard", "/counties", "/communities", "/leaders", "/reporting",
                             "/briefing"})
ROUTING_OUTPUT = "_pages_content"
# Other read-only answers: a block of the communities grid (its request and the address are in the body).
READ_ONLY_OUTPUTS = ("..community-grid.getRowsResponse...",)
EXTENSION = "shequ_response_cache"


class ResponseCache:
    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
            return body

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def put(self, key: str, body: bytes) -> None:
        with self._lock:
            self._entries[key] = body
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


def install(server: flask.Flask, max_entries: int = 256) -> None:
    """Register after the login guard and CSRF check, so a cached answer is only ever given to whom they admit."""
    server.extensions[EXTENSION] = ResponseCache(max_entries)

    @server.before_request
    def answer_from_cache():
        key = _key(server)
        if key is None:
            return None
        body = server.extensions[EXTENSION].get(key)
        if body is not None:
            return flask.Response(body, mimetype="application/json")
        flask.g.response_cache_key = key
        return None

    @server.after_request
    def remember_answer(response):
        key = flask.g.pop("response_cache_key", None)
        if key and response.status_code == 200 and not response.direct_passthrough:
            server.extensions[EXTENSION].put(key, response.get_data())
        return response


def _key(server: flask.Flask) -> str | None:
    request = flask.request
    if request.method != "POST" or request.path != "/_dash-update-component":
        return None
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return None
    output = str(body.get("output", ""))
    if ROUTING_OUTPUT in output:
        paths = [i.get("value") for i in body.get("inputs", [])
                 if isinstance(i, dict) and i.get("property") == "pathname"]
        if not paths or paths[0] not in READ_ONLY_PAGES:
            return None
    elif not output.startswith(READ_ONLY_OUTPUTS):
        return None
    user = auth.user()
    if user is None:
        return None
    version = queries.data_version(server.config["SHEQU_ENGINE"])
    parts = (request.get_data(), user.role, user.county_code or "", request.cookies.get(ids.LANG_COOKIE, ""),
             server.config["SHEQU_BASIS"], version)
    return hashlib.sha256(repr(parts).encode()).hexdigest()
