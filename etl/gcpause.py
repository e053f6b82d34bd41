"""Bulk work without the cyclic garbage collector: many short-lived rows at once would set it off again and again.

A national period's fetch makes 300,000 row objects and a big return's insert 100,000 tuples; each is tracked,
so the collector runs hundreds of times, every pass walking everything alive (the registry, the caches).
Reference counting still frees what is dropped; the collector is left as it was found.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def cycle_collection_paused():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
