"""The dashboard's benchmarks: each callback's server time (p50/p95), the empty-callback floor, first render.

Callbacks are timed through the real request path (Flask test client → login guard → Dash → the page's code),
so a figure is what a user's click costs on the server. Officials' views are URL-driven: changing the period,
the indicator, the county or the grid's filter re-renders the page through Dash Pages' routing callback.
"""
from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

from dash import Input, Output

from etl.store.db import make_engine
from etl.store.queries import periods as stored_periods, places
from etl.store.users import add_user, get_user

from . import scale as S
from .measure import percentiles_ms, tree_rss_mb

USER, PASSWORD = "bench", "bench-password-1"
CALLS = 60


def _ensure_user(url: str) -> None:
    engine = make_engine(url)
    if get_user(engine, USER) is None:
        add_user(engine, USER, PASSWORD, "admin")
    engine.dispose()


def _login(client) -> str:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    response = client.post("/login", data={"username": USER, "password": PASSWORD,
                                           "csrf_token": token.group(1) if token else ""})
    assert response.status_code in (302, 303), response.status_code
    cookie = client.get_cookie("_csrf_token")
    return cookie.value if cookie else ""


def _routing_callback(client) -> dict:
    deps = client.get("/_dash-dependencies").get_json()
    return next(d for d in deps if "_pages_content" in d["output"])


def _payload(spec: dict, path: str, search: str) -> dict:
    values = {("_pages_location", "pathname"): path, ("_pages_location", "search"): search,
              ("_pages_location", "href"): f"http://127.0.0.1{path}{search}"}

    def items(deps):
        return [{"id": d["id"], "property": d["property"], "value": values.get((d["id"], d["property"]))}
                for d in deps]

    return {"output": spec["output"], "outputs": _outputs(spec["output"]), "inputs": items(spec["inputs"]),
            "changedPropIds": ["_pages_location.search"], "state": items(spec.get("state", []))}


def _outputs(output: str):
    """Dash's output string ('a.children' or '..a.children...b.data..') as the request's outputs field."""
    def one(text):
        component, prop = text.rsplit(".", 1)
        return {"id": component, "property": prop}
    if output.startswith(".."):
        return [one(o) for o in output[2:-2].split("...")]
    return one(output)


def _time_calls(client, token: str, payload: dict, calls: int = CALLS, cold: bool = False,
                warmup: int = 3) -> list[float]:
    """Server time of `calls` identical requests after `warmup` untimed ones; cold: the view is drawn every time
    (its answer dropped first)."""
    from dashboard.response_cache import EXTENSION
    headers = {"X-CSRFToken": token, "Content-Type": "application/json"}
    body = json.dumps(payload)
    times = []
    cache = client.application.extensions.get(EXTENSION)
    for _ in range(calls + warmup):
        if cold and cache is not None:
            cache.clear()
        start = time.perf_counter()
        response = client.post("/_dash-update-component", data=body, headers=headers)
        times.append(time.perf_counter() - start)
        assert response.status_code in (200, 204), (response.status_code, response.get_data(as_text=True)[:300])
    return times[warmup:]                              # the first calls warm caches


def views(url: str) -> dict[str, tuple[str, str]]:
    """The clicks officials make, as the URL each one leads to."""
    engine = make_engine(url)
    period_list = stored_periods(engine, "approved") or stored_periods(engine, "current")
    counties = places(engine, "county")["code"].tolist()
    engine.dispose()
    last, first = period_list[-1], period_list[0]
    county = counties[len(counties) // 2]
    return {
        "period_change": ("/", f"?period={first}&basis=current"),
        "indicator_change": ("/", f"?period={last}&indicator=services_mean&basis=current"),
        "county_drilldown": ("/counties", f"?county={county}&period={last}&basis=current"),
        "community_grid_page": ("/communities", f"?county={county}&period={last}&basis=current"),
        "community_grid_filter": ("/communities", f"?county={county}&period={last}&q=00&basis=current"),
        "scorecard_sort": ("/scorecard", f"?period={last}&sort=services_mean&basis=current"),
    }


def callbacks(sc: S.Scale, url: str, log, calls: int = CALLS) -> dict:
    """Server time of each view's callback at this scale, and an empty callback's (the framework's floor).

    As a server meets officials: the app on the scale's data (submitted returns: basis current), its warm-up
    done (tables built, common views drawn ahead, dashboard/predraw.py). Per view: the first click, then p50/p95
    over `calls` clicks (the first included); and the cost of drawing it, its answer dropped before each call.
    """
    from dashboard import auth, warmup
    from dashboard.app import create_app
    _ensure_user(url)
    app = create_app(url, basis="current")
    app.callback(Output("bench-empty-out", "children"), Input("bench-empty-in", "n_clicks"))(lambda n: n)
    # Declared like any callback (dashboard/auth.py refuses an undeclared output to everyone, admins too).
    auth.CALLBACK_ROLES["bench-empty-out"] = auth.EVERYONE
    client = app.server.test_client()
    token = _login(client)
    started = time.perf_counter()
    warmer = warmup.start(app.server)
    while not warmer.ready:
        time.sleep(0.05)
    log(f"  warm-up (tables and views drawn ahead): {time.perf_counter() - started:.1f} s")
    spec = _routing_callback(client)
    out = {}
    payloads = {name: _payload(spec, path, search) for name, (path, search) in views(url).items()}
    for name, payload in payloads.items():     # every first click before any answer is dropped
        first, served = _time_calls(client, token, payload, 1, warmup=0), _time_calls(client, token, payload, calls)
        out[name] = {**percentiles_ms(first + served[:-1]), "first_click_ms": round(first[0] * 1000, 2)}
    for name, payload in payloads.items():
        drawn = percentiles_ms(_time_calls(client, token, payload, calls, cold=True))
        out[name].update(drawn_p50_ms=drawn["p50_ms"], drawn_p95_ms=drawn["p95_ms"])
        log(f"  {name}: {out[name]}")
    out["community_grid_rows"] = _time_grid_rows(client, token, views(url)["community_grid_page"][1], calls)
    log(f"  community_grid_rows: {out['community_grid_rows']}")
    empty = {"output": "bench-empty-out.children", "outputs": {"id": "bench-empty-out", "property": "children"},
             "inputs": [{"id": "bench-empty-in", "property": "n_clicks", "value": 1}],
             "changedPropIds": ["bench-empty-in.n_clicks"], "state": []}
    floor = percentiles_ms(_time_calls(client, token, empty, max(calls, 50)))["p50_ms"]
    warmer.stop()                              # the next scale's app is timed alone
    key = "callbacks_city" if sc.communities <= 184 else "callbacks_nation"   # tiny and city: Yulin's size
    return {key: out, "callback_floor_ms": floor}


def _time_grid_rows(client, token: str, page_search: str, calls: int) -> dict:
    """The grid's own rows callback (the page carries no rows): the first block of 100 of every community of the
    period (no county: the largest answer), drawn (its sorted view and answer rebuilt each time) and served
    (the same block asked again: answered from the cache)."""
    from urllib.parse import parse_qsl, urlencode
    from dashboard.response_cache import EXTENSION
    pages = sys.modules["dashboard.pages.communities"]
    search = "?" + urlencode([(k, v) for k, v in parse_qsl(page_search.lstrip("?")) if k != "county"])
    spec = next(d for d in client.get("/_dash-dependencies").get_json() if "getRowsResponse" in d["output"])
    request = {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}}
    values = {"getRowsRequest": request, "search": search}
    payload = {"output": spec["output"], "outputs": _outputs(spec["output"]),
               "inputs": [{**d, "value": values.get(d["property"])} for d in spec["inputs"]],
               "changedPropIds": [f"{spec['inputs'][0]['id']}.getRowsRequest"],
               "state": [{**d, "value": values.get(d["property"])} for d in spec.get("state", [])]}
    headers = {"X-CSRFToken": token, "Content-Type": "application/json"}
    cold = []
    answers = client.application.extensions.get(EXTENSION)
    for _ in range(min(calls, 20)):
        pages._row_order.cache_clear()
        if answers is not None:
            answers.clear()                       # the block's answer is cached too (response_cache)
        start = time.perf_counter()
        response = client.post("/_dash-update-component", data=json.dumps(payload), headers=headers)
        cold.append(time.perf_counter() - start)
        assert response.status_code == 200 and '"rowCount"' in response.get_data(as_text=True), response.status_code
    drawn = percentiles_ms(cold)
    served = percentiles_ms(_time_calls(client, token, payload, calls))
    return {**served, "drawn_p50_ms": drawn["p50_ms"], "drawn_p95_ms": drawn["p95_ms"],
            "bytes": len(client.post("/_dash-update-component", data=json.dumps(payload), headers=headers).data)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_render(sc: S.Scale, url: str, log) -> dict:
    """Seconds from navigation to a page fully drawn, in headless Chromium, against `shequ serve`; its memory."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    _ensure_user(url)
    port = _free_port()
    # The scale databases hold submitted returns, not approved ones: the server shows those by default (and warms
    # them), as the callbacks are timed, so that each page draws its data.
    server = subprocess.Popen([str(Path(sys.executable).parent / "shequ"), "--db", url, "serve", "--port",
                               str(port), "--basis", "current"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    options = Options()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--no-first-run", "--window-size=1280,1000"):
        options.add_argument(flag)
    driver = None
    try:
        base = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        _wait_http(f"{base}/health")
        warmup_s = _wait_warm(f"{base}/ready", started)
        log(f"  the server started and built the latest period's tables in {warmup_s} s")
        driver = webdriver.Chrome(options=options)
        driver.get(f"{base}/login")
        driver.find_element("name", "username").send_keys(USER)
        driver.find_element("name", "password").send_keys(PASSWORD)
        driver.find_element("css selector", "form button, form [type=submit]").click()
        # The login lands on the overview: let it finish drawing, or the first page timed would wait for it.
        time.sleep(0.5)
        _wait_drawn(driver)
        out = {}
        for name, (path, search) in _pages().items():
            start = time.perf_counter()
            driver.get(f"{base}{path}{search}")
            _wait_drawn(driver)
            out[name] = round(time.perf_counter() - start, 3)
            if driver.find_elements("css selector", ".empty-state, .error-state"):
                raise RuntimeError(f"{name} drew no data: its time would not measure a page with data")
            log(f"  {name}: {out[name]} s")
        return {"first_render_s": out, "server_warmup_s": warmup_s, "server_rss_mb": round(tree_rss_mb(server.pid), 1)}
    finally:
        if driver:
            driver.quit()
        server.terminate()
        server.wait(20)


def _pages() -> dict[str, tuple[str, str]]:
    return {"overview": ("/", ""), "scorecard": ("/scorecard", ""), "counties": ("/counties", ""),
            "communities": ("/communities", ""), "leaders": ("/leaders", ""), "reporting": ("/reporting", "")}


def _wait_http(url: str, seconds: float = 120) -> None:
    import urllib.request
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def _wait_warm(url: str, started: float, seconds: float = 600) -> float:
    """Seconds from the server's start until /ready says the latest data is warm (dashboard/warmup.py): pages
    are timed as officials meet them once the server is up, not while it is still reading the data."""
    import urllib.error
    import urllib.request
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                if json.load(response).get("warm") is True:
                    return round(time.perf_counter() - started, 1)
        except urllib.error.HTTPError:       # 503: not ready yet
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not finish warming")


def _wait_drawn(driver, seconds: float = 60) -> None:
    """The page's content is in, nothing is loading, and every graph has drawn."""
    script = """
      const content = document.getElementById('_pages_content');
      if (!content || !content.children.length) return false;
      if (document.querySelector('[data-dash-is-loading="true"], ._dash-loading, .dash-spinner')) return false;
      const graphs = document.querySelectorAll('.js-plotly-plot');
      for (const g of graphs) { if (!g._fullLayout) return false; }
      return true;"""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if driver.execute_script(script):
            return
        time.sleep(0.02)
    raise RuntimeError("the page did not finish drawing")

