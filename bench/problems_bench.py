"""A return full of errors through the upload's dry run: how long the answer takes, how big it is, peak memory.

`python -m bench.problems_bench --rows 100000` (about a minute). One county's return of `--rows` rows, every row
with a service area that is not a number and (past the county's first five communities) a community that
appears twice; an empty database with one analyst; the dashboard app with its diskcache job manager, driven
through the real request path (Flask test client → login → CSRF → Dash → the forked job), as the page drives it:
the drop (where the page has that step) and the background check, polled until its answer. Prints JSON: seconds
from the drop to the answer, the answer's bytes, the problems found, and the peak resident memory of this process
and its children (the job and its parser), sampled every 50 ms. Runs against whichever code is on the path, so
the same script measured the code before and after issue 14.
"""
from __future__ import annotations

import argparse
import base64
import json
import re
import tempfile
import threading
import time
from pathlib import Path

import psutil
import xlsxwriter

PASSWORD = "bench-password-1"
HEADERS = ["县（市、区）", "乡镇（街道）", "社区代码", "社区名称", "社区类型", "服务用房面积（平方米）",
           "服务项目数（项）", "网格化管理", "网格数", "基础薄弱"]


def error_return(path: Path, rows: int) -> Path:
    from etl.registry import default_registry
    communities = default_registry().in_county("450981")[:5]
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = book.add_worksheet("社区基本情况")
    ws.write_row(0, 0, ["玉林市城乡社区规范化建设情况报表"])
    ws.write_row(1, 0, ["填报单位：北流市", "", "", "", "报告期：2015年"])
    ws.write_row(2, 0, HEADERS)
    for i in range(rows):
        c = communities[i % len(communities)]
        ws.write_row(3 + i, 0, [c.county_name, c.township_name, c.code, c.name, c.kind, "很大", 30, "是", 2, "否"])
    book.close()
    return path


def post(client, body, headers, **query):
    reply = client.post("/_dash-update-component", json=body, headers=headers, query_string=query)
    assert reply.status_code == 200, reply.get_data(as_text=True)[:500]
    return reply


def run(rows: int, work: Path) -> dict:
    from dashboard.app import create_app
    from etl.store.db import make_engine
    from etl.store.setup import init_db
    from etl.store.users import add_user
    url = f"sqlite:///{work / 'bench.db'}"
    engine = make_engine(url)
    init_db(engine)
    add_user(engine, "ana", PASSWORD, "analyst", "450981")
    content = error_return(work / "errors.xlsx", rows).read_bytes()
    app = create_app(url, secret_key="bench", cache_dir=work / "cache")
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "ana", "password": PASSWORD, "csrf_token": token})
    headers = {"X-CSRFToken": client.get_cookie("_csrf_token").value}
    two_steps = any("upload-dropped" in d["output"] for d in client.get("/_dash-dependencies").get_json())
    contents = ["data:;base64," + base64.b64encode(content).decode()]
    peak, done = [0], threading.Event()

    def sample():
        me = psutil.Process()
        while not done.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            peak[0] = max(peak[0], total)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    if two_steps:
        drop = post(client, {
            "output": "..upload-dropped.data...upload-refused.children...upload-files.contents..",
            "outputs": [{"id": "upload-dropped", "property": "data"}, {"id": "upload-refused", "property": "children"},
                        {"id": "upload-files", "property": "contents"}],
            "inputs": [{"id": "upload-files", "property": "contents", "value": contents}],
            "changedPropIds": ["upload-files.contents"],
            "state": [{"id": "upload-files", "property": "filename", "value": ["errors.xlsx"]},
                      {"id": "upload-lang", "property": "data", "value": "en"}]}, headers).get_json()
        check = {"output": "upload-results.children", "outputs": {"id": "upload-results", "property": "children"},
                 "inputs": [{"id": "upload-dropped", "property": "data",
                             "value": drop["response"]["upload-dropped"]["data"]}],
                 "changedPropIds": ["upload-dropped.data"],
                 "state": [{"id": "upload-lang", "property": "data", "value": "en"}]}
    else:
        check = {"output": "upload-results.children", "outputs": {"id": "upload-results", "property": "children"},
                 "inputs": [{"id": "upload-files", "property": "contents", "value": contents}],
                 "changedPropIds": ["upload-files.contents"],
                 "state": [{"id": "upload-files", "property": "filename", "value": ["errors.xlsx"]},
                           {"id": "upload-lang", "property": "data", "value": "en"}]}
    handles = post(client, check, headers).get_json()
    while True:
        reply = post(client, check, headers, cacheKey=handles["cacheKey"], job=handles["job"])
        if b'"response"' in reply.get_data():
            break
        time.sleep(0.25)
    seconds = time.monotonic() - started
    done.set()
    answer = reply.get_data(as_text=True)
    errors = re.search(r"Errors: (\d+)", answer)
    return {"rows": rows, "file_mb": round(len(content) / 2**20, 1), "two_steps": two_steps,
            "seconds": round(seconds, 1), "answer_bytes": len(answer.encode()),
            "errors_counted": int(errors.group(1)) if errors else None, "peak_rss_mb": round(peak[0] / 2**20)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="shequ-problems-") as work:
        print(json.dumps(run(args.rows, Path(work))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
