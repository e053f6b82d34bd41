"""Builds the latest period's tables and draws the common views in the background whenever the data change.

At national scale the first view of a new data version reads and shapes 120,000 community rows (seconds);
officials open the dashboard right after the returns come in. A server thread watches the data version and
builds what the pages read for the latest period on the server's basis; a request that arrives meanwhile
waits for the same build (dashboard/memo.py) instead of starting its own. Then it draws the views officials
open first into the answer cache (dashboard/predraw.py). /ready says whether it is done.

It runs on the cores people's requests need, so it yields to them: between two views it waits while a person's
request came in the last QUIET_S seconds. An analyst's upload check right after a start took 2.2–3.9 s on a
busy machine while the thread drew beside it, against 0.9–2.1 s once it was done (bench/upload_bench.py):
drawing ahead is for the clicks to come, and a person already clicking comes first.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from flask import Flask, request

from . import data, predraw

log = logging.getLogger(__name__)
POLL_SECONDS = 5.0
EXTENSION = "shequ_warmup"
LAST_REQUEST = "shequ_last_request"     # time.monotonic() of the last request of a person, in server.extensions
# A person's requests come at most this far apart while they wait for something: an upload check's browser asks
# every 250 ms (pages/upload.py POLL_MS); a page's scripts and callbacks follow each other closely.
QUIET_S = 1.0
PROBES = ("/health", "/ready")
# Under steady traffic the warm-up still draws one view per this many seconds, so that it ends some day.
MAX_YIELD_S = 5.0


def warm(src: data.Source) -> None:
    """The latest period's tables, as the pages read them (dashboard/data.py prepare)."""
    period = data.resolve_period(src, None)
    if period is not None:
        data.prepare(src, period)


def install(server: Flask) -> None:
    """Note when each person's request arrives (create_app installs it before the guards, which may answer first).

    /health and /ready are a probe's, not a person's. Predraw's views do not pass here.
    """
    server.extensions[LAST_REQUEST] = float("-inf")

    @server.before_request
    def note_person():
        if request.path not in PROBES:
            server.extensions[LAST_REQUEST] = time.monotonic()


class Warmer:
    """The thread and what it has built: `ready` once the current data version is warm."""

    def __init__(self, server: Flask):
        self.server = server
        self.version: str | None = None
        self.ready = False
        self._stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="shequ-warmup", daemon=True)

    def stop(self, timeout_s: float = 60) -> None:
        """Stop after the view being drawn (tests, the bench: a thread left polling a database it no longer owns)."""
        self._stopped.set()
        self.thread.join(timeout_s)

    def yield_to_people(self) -> float:
        """Wait until no person's request came in the last QUIET_S seconds (at most MAX_YIELD_S); seconds waited."""
        started = time.monotonic()
        while not self._stopped.is_set():
            quiet = time.monotonic() - self.server.extensions.get(LAST_REQUEST, float("-inf"))
            waited = time.monotonic() - started
            if quiet >= QUIET_S or waited >= MAX_YIELD_S:
                break
            self._stopped.wait(min(QUIET_S - quiet, MAX_YIELD_S - waited))
        return time.monotonic() - started

    def _run(self) -> None:
        engine, basis = self.server.config["SHEQU_ENGINE"], self.server.config["SHEQU_BASIS"]
        while not self._stopped.is_set():
            try:
                src = data.source_for(engine, basis)
                if src.version != self.version:
                    self.ready = False
                    started = time.perf_counter()
                    self.yield_to_people()
                    warm(src)
                    drawn = predraw.predraw(self.server, src, pause=self.yield_to_people,
                                            still_current=lambda: not self._stopped.is_set() and
                                            data.source_for(engine, basis).version == src.version)
                    self.version, self.ready = src.version, True
                    log.info("data version %s warm in %.1f s (%d views drawn ahead)", src.version,
                             time.perf_counter() - started, drawn)
            except Exception:  # noqa: BLE001 — the pages still build what they need; try again later
                log.exception("warming the dashboard's tables failed")
            self._stopped.wait(POLL_SECONDS)


def start(server: Flask) -> Warmer:
    """Start warming for this server process (once); serve() and the WSGI entry point call it."""
    warmer = server.extensions.get(EXTENSION)
    if warmer is None:
        warmer = server.extensions[EXTENSION] = Warmer(server)
        warmer.thread.start()
    return warmer


@dataclass(frozen=True)
class State:
    ready: bool                 # has built once since it started (or does not warm): its answers come in time
    warm: bool | None           # the latest data version is built; None when this server does not warm
    version: str | None         # the data version last built


def state(server: Flask) -> State:
    """Where this server's warm-up stands (/ready)."""
    warmer = server.extensions.get(EXTENSION)
    if warmer is None:
        return State(ready=True, warm=None, version=None)
    return State(ready=warmer.version is not None, warm=warmer.ready, version=warmer.version)
