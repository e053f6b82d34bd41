"""A Dash Pages routing request built as the browser builds it: what a click on a view sends to the server."""
from __future__ import annotations


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
