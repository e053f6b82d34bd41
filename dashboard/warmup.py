"""Builds the latest period's tables and draws the common views in the background whenever the data change.

At national scale the first view of a new data version reads and shapes 120,000 community rows (seconds);
officials open the dashboard right after the returns come in. A server thread watches the data version and
builds what the pages read for the latest period on the server's basis; a request that arrives meanwhile
waits for the same build (dashboard/memo.py) instead of starting its own. Then it draws the views officials
open first into the answer cache (dashboard/predraw.py). /health says whether it is done.
"""
from __future__ import annotations

import logging
import threading
import time

from flask import Flask

from . import data, predraw

log = logging.getLogger(__name__)
POLL_SECONDS = 5.0
EXTENSION = "shequ_warmup"


def warm(src: data.Source) -> None:
    """The latest period's tables, as the pages read them (dashboard/data.py prepare)."""
    period = data.resolve_period(src, None)
    if period is not None:
        data.prepare(src, period)


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

    def _run(self) -> None:
        engine, basis = self.server.config["SHEQU_ENGINE"], self.server.config["SHEQU_BASIS"]
        while not self._stopped.is_set():
            try:
                src = data.source_for(engine, basis)
                if src.version != self.version:
                    self.ready = False
                    started = time.perf_counter()
                    warm(src)
                    drawn = predraw.predraw(self.server, src, still_current=lambda: not self._stopped.is_set() and
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


def status(server: Flask) -> bool | None:
    """True when the latest data is warm, False while building, None when this server does not warm."""
    warmer = server.extensions.get(EXTENSION)
    return None if warmer is None else warmer.ready
