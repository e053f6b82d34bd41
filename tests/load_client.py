"""A second process that loads the web app: N sessions log in and click through the pages for a while.

python tests/load_client.py BASE_URL USER PASSWORD SESSIONS SECONDS → prints a JSON summary of the responses.
Session i logs in as USER + i (official0, official1, …): many logins of one account from one address at the same
instant are what the login back-off is there to stop.
"""
from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections import Counter

import requests

from dash_requests import routing_body, routing_spec   # tests/, this script's folder

PAGES = ["/", "/scorecard", "/counties", "/communities", "/leaders", "/reporting"]
QUERIES = ["?period=2013", "?period=2015", "?period=2015&indicator=services_mean", "?basis=current"]


def session_loop(base: str, user: str, password: str, until: float, counts: Counter, lock: threading.Lock,
                 failures: list) -> None:
    s = requests.Session()
    page = s.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    r = s.post(f"{base}/login", data={"username": user, "password": password, "csrf_token": token.group(1)},
               timeout=30, allow_redirects=False)
    record(r, counts, lock, failures)
    deps = s.get(f"{base}/_dash-dependencies", timeout=30).json()
    routing = routing_spec(deps)
    headers = {"X-CSRFToken": s.cookies.get("_csrf_token", "")}
    n = 0
    while time.monotonic() < until:
        path, query = PAGES[n % len(PAGES)], QUERIES[n % len(QUERIES)]
        record(s.get(f"{base}{path}{query}", timeout=60), counts, lock, failures)
        body = routing_body(routing, base, path, query)
        record(s.post(f"{base}/_dash-update-component", json=body, headers=headers, timeout=60), counts, lock,
               failures)
        n += 1


def record(response, counts: Counter, lock: threading.Lock, failures: list) -> None:
    with lock:
        counts[response.status_code] += 1
        if response.status_code >= 400:
            failures.append((response.status_code, response.url, response.text[:200]))


def main(base: str, user: str, password: str, sessions: int, seconds: float) -> None:
    counts, lock, failures = Counter(), threading.Lock(), []
    until = time.monotonic() + seconds
    threads = [threading.Thread(target=session_loop, args=(base, f"{user}{i}", password, until, counts, lock, failures))
               for i in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({"status": {str(k): v for k, v in counts.items()}, "failures": failures[:10]}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
