"""Requests built as the browser builds them: the login form, a Pages routing request (what a click on a view
sends), the upload's drop and check, and the polling of a background callback."""
from __future__ import annotations

import base64
import re

FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(page: str) -> str:
    """The CSRF token a plain form (login, logout) carries in the page."""
    return FORM_TOKEN.search(page).group(1)


def client_login(client, username: str, password: str, **post) -> dict:
    """Log a Flask test client in through the login form; the headers its Dash requests then send."""
    page = client.get("/login", **post).get_data(as_text=True)
    client.post("/login", data={"username": username, "password": password, "csrf_token": form_token(page)}, **post)
    return {"X-CSRFToken": client.get_cookie("_csrf_token").value}


def http_login(session, base: str, username: str, password: str, timeout: float = 30):
    """Log a requests.Session in on a real server; the login's answer (302 when it worked)."""
    page = session.get(f"{base}/login", timeout=timeout).text
    return session.post(f"{base}/login", data={"username": username, "password": password,
                                               "csrf_token": form_token(page)},
                        allow_redirects=False, timeout=timeout)


def outputs(output: str):
    """Dash's output string ('a.children' or '..a.children...b.data..') as the request's outputs field."""
    def one(text):
        component, prop = text.rsplit(".", 1)
        return {"id": component, "property": prop}
    return [one(o) for o in output[2:-2].split("...")] if output.startswith("..") else one(output)


def routing_spec(dependencies: list[dict]) -> dict:
    """The routing callback (the one filling _pages_content) among the app's /_dash-dependencies."""
    return next(d for d in dependencies if "_pages_content" in d["output"])


def routing_body(spec: dict, base: str, path: str, query: str) -> dict:
    """The body of POST /_dash-update-component asking the page at path+query to be drawn."""
    values = {"pathname": path, "search": query, "href": f"{base}{path}{query}"}

    def items(deps):
        return [{"id": d["id"], "property": d["property"], "value": values.get(d["property"])} for d in deps]

    return {"output": spec["output"], "outputs": outputs(spec["output"]), "inputs": items(spec["inputs"]),
            "state": items(spec.get("state", [])), "changedPropIds": ["_pages_location.search"]}


def run_background(client, body: dict, headers: dict, timeout: float = 60.0) -> dict:
    """POST a background callback as the renderer does: start the job, then poll with its handles until the
    answer comes. Returns the last JSON (with 'response', and 'progress' if any was reported)."""
    import time
    first = client.post("/_dash-update-component", json=body, headers=headers)
    assert first.status_code == 200, first.get_data(as_text=True)
    handles = first.get_json()
    query = {"cacheKey": handles["cacheKey"], "job": handles["job"]}
    deadline = time.monotonic() + timeout
    progress = []
    while time.monotonic() < deadline:
        answer = client.post("/_dash-update-component", json=body, headers=headers, query_string=query)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        reply = answer.get_json()
        if "progress" in reply:
            progress.append(reply["progress"])
        if "response" in reply:
            return dict(reply, progress_seen=progress)
        time.sleep(0.2)
    raise AssertionError(f"the background job gave no answer in {timeout} s")


def drop_body(contents: list[str], names: list[str], lang: str = "en") -> dict:
    """What the browser sends when files are dropped: the plain callback that keeps them and answers tokens."""
    return {"output": "..upload-dropped.data...upload-refused.children...upload-files.contents..",
            "outputs": [{"id": "upload-dropped", "property": "data"},
                        {"id": "upload-refused", "property": "children"},
                        {"id": "upload-files", "property": "contents"}],
            "inputs": [{"id": "upload-files", "property": "contents", "value": contents}],
            "changedPropIds": ["upload-files.contents"],
            "state": [{"id": "upload-files", "property": "filename", "value": names},
                      {"id": "upload-lang", "property": "data", "value": lang}]}


def check_body(drop: dict, lang: str = "en") -> dict:
    """The background check, triggered by the tokens the drop answered."""
    return {"output": "upload-results.children", "outputs": {"id": "upload-results", "property": "children"},
            "inputs": [{"id": "upload-dropped", "property": "data", "value": drop}],
            "changedPropIds": ["upload-dropped.data"],
            "state": [{"id": "upload-lang", "property": "data", "value": lang}]}


def data_url(content: bytes) -> str:
    return "data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64," + \
        base64.b64encode(content).decode()
