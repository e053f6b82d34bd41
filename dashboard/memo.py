"""A memo for the dashboard's data reads: an LRU cache that computes each key once, even under concurrent requests.

The server answers with several threads (waitress: 8). With a plain lru_cache, the officials who open a page
just after a return was loaded (a new data version, so every key is new) would each build the same national
table at once, and share the GIL doing it: each waits as long as all of them together. Here the first caller
builds; the others wait for it and read its result.
"""
from __future__ import annotations

import functools
import threading


def memo(maxsize: int):
    def wrap(fn):
        cached = functools.lru_cache(maxsize=maxsize)(fn)
        building: dict[tuple, threading.Lock] = {}
        guard = threading.Lock()

        @functools.wraps(fn)
        def call(*args):
            with guard:
                lock = building.setdefault(args, threading.Lock())
            with lock:
                try:
                    return cached(*args)
                finally:
                    with guard:
                        if building.get(args) is lock:
                            del building[args]

        call.cache_clear = cached.cache_clear
        call.cache_info = cached.cache_info
        return call
    return wrap
