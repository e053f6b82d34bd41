"""The data memo builds each key once when many requests ask for it at the same moment."""
from __future__ import annotations

import threading
import time

from dashboard.memo import memo


def test_concurrent_callers_share_one_computation_per_key():
    calls = []

    @memo(8)
    def build(key):
        calls.append(key)
        time.sleep(0.2)                    # a national table takes seconds; its callers arrive meanwhile
        return [key]

    results = []
    threads = [threading.Thread(target=lambda k=k: results.append(build(k))) for k in ["a"] * 6 + ["b"] * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(calls) == ["a", "b"]
    assert sorted(map(tuple, results)) == [("a",)] * 6 + [("b",)] * 2
    build("a")
    assert calls.count("a") == 1 and build.cache_info().hits >= 6


def test_a_failed_computation_is_not_kept():
    attempts = []

    @memo(2)
    def flaky(key):
        attempts.append(key)
        if len(attempts) == 1:
            raise ConnectionError("database went away")
        return key

    try:
        flaky("x")
    except ConnectionError:
        pass
    assert flaky("x") == "x" and attempts == ["x", "x"]
