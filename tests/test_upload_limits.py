"""An analyst cannot overload the server through the upload (issue 14, items 5, 9 and 10).

Real workbooks, real databases, the app's real request path (Flask test client → login guard → CSRF → Dash), a
real Redis for the Celery job's message and real processes for the queue of checks.
"""
from __future__ import annotations

import base64
import json
import multiprocessing
import os
import re
import time
from datetime import date

import pytest
import redis
from sqlalchemy import func, select

from dash_requests import check_body, client_login, data_url, drop_body, http_login, run_background
from redis_server import redis_server
from returns import SheetSpec, standard_rows, write_workbook

from dashboard import auth, check_queue, uploads
from dashboard.app import create_app
from dashboard.upload_view import problems_csv, render_checked
from etl.store.db import upload_waiting
from etl.store.users import add_user

PASSWORD = "limits-pass-123"
SECRET = "limits-secret"


def error_rows(n: int) -> list[list]:
    """n rows of 北流市's return, each with a service area that is not a number (and, past the county's first
    five communities, a community that appears twice): two errors a row, nearly."""
    base = standard_rows("450981", 5)
    rows = []
    for i in range(n):
        row = list(base[i % len(base)])
        row[5] = "很大"
        rows.append(row)
    return rows


def logged_in(app, username: str):
    client = app.server.test_client()
    return client, client_login(client, username, PASSWORD)


def test_a_return_full_of_errors_shows_the_first_problems_and_keeps_them_all(engine, tmp_path):
    analyst = auth.WebUser(add_user(engine, "ana", PASSWORD, "analyst", "450981"))
    book = write_workbook(tmp_path / "bad.xlsx", SheetSpec(rows=error_rows(3000)))
    checked = uploads.check_file(engine, analyst, "bad.xlsx", book.read_bytes(), 2**24)
    total = checked.errors + checked.warnings
    assert checked.status == "rejected" and checked.errors >= 5995, (checked.errors, checked.warnings)
    assert len(checked.problems) == 100                       # settings: upload.problems_shown
    shown = json.dumps(render_checked(checked, analyst, "en").to_plotly_json(), ensure_ascii=False,
                       default=lambda o: o.to_plotly_json())
    assert f"{total - 100:,} more problems not shown" in shown and f"Errors: {checked.errors}" in shown
    assert len(shown) < 100_000, len(shown)                   # the page's answer stays small
    assert "upload-submit" not in shown                       # a rejected file has no Submit
    # Every problem is kept beside the waiting file, for its uploader only, and downloadable.
    kept = list(uploads.kept_problems(engine, checked.token, int(analyst.id)))
    assert len(kept) == total and kept[:100] == checked.problems
    other = auth.WebUser(add_user(engine, "bob", PASSWORD, "analyst", "450981"))
    assert uploads.kept_problems(engine, checked.token, int(other.id)) is None
    lines = list(problems_csv(iter(kept), "zh"))
    assert len(lines) == total + 1 and lines[0].startswith("\ufeff工作表,行,列,级别,问题代码,说明")
    assert "wrong-type" in lines[1] and "不是有效的数字" in lines[1]
    # The page's answer in Chinese: the rest counted with a thousands separator.
    zh = json.dumps(render_checked(checked, analyst, "zh").to_plotly_json(), ensure_ascii=False,
                    default=lambda o: o.to_plotly_json())
    assert f"还有 {total - 100:,} 个问题未显示" in zh


def test_the_page_answer_holds_the_first_problems_and_the_download_holds_all(db_url, engine, tmp_path):
    add_user(engine, "ana", PASSWORD, "analyst", "450981")
    add_user(engine, "bob", PASSWORD, "analyst", "450981")
    app = create_app(db_url, secret_key=SECRET, cache_dir=tmp_path / "cache")
    client, headers = logged_in(app, "ana")
    content = write_workbook(tmp_path / "bad.xlsx", SheetSpec(rows=error_rows(2000))).read_bytes()
    accepted = client.post("/_dash-update-component", json=drop_body([data_url(content)], ["bad.xlsx"]),
                           headers=headers).get_json()["response"]
    drop = accepted["upload-dropped"]["data"]
    assert [f["file"] for f in drop["files"]] == ["bad.xlsx"] and len(drop["files"][0]["token"]) >= 32
    answer = run_background(client, check_body(drop), headers, timeout=120)
    text = json.dumps(answer["response"], ensure_ascii=False)
    assert text.count("problems-table") == 1 and "more problems not shown" in text
    assert len(text) < 100_000, len(text)
    href = re.search(r'"href": "(/upload/problems/[^"]+)"', text).group(1)
    download = client.get(href)
    assert download.status_code == 200 and download.mimetype == "text/csv"
    lines = download.get_data(as_text=True).splitlines()
    assert lines[0] == "\ufeffSheet,Row,Column,Severity,Problem code,Message"
    shown = int(re.search(r"([\d,]+) more problems not shown", text).group(1).replace(",", ""))
    assert len(lines) - 1 == shown + 100
    # Another analyst's session cannot read it.
    other, _ = logged_in(app, "bob")
    assert other.get(href).status_code == 404


def test_the_server_checks_at_most_three_files_of_a_drop_and_names_the_others(db_url, engine, tmp_path):
    add_user(engine, "ana", PASSWORD, "analyst", "450981")
    app = create_app(db_url, secret_key=SECRET, cache_dir=tmp_path / "cache")
    client, headers = logged_in(app, "ana")
    content = write_workbook(tmp_path / "a.xlsx", SheetSpec(rows=standard_rows("450981", 3))).read_bytes()
    names = [f"第{i}份.xlsx" for i in range(1, 6)]
    # A crafted request: five files where the page lets the browser send three.
    reply = client.post("/_dash-update-component", json=drop_body([data_url(content)] * 5, names),
                        headers=headers)
    assert reply.status_code == 200
    answer = reply.get_json()["response"]
    assert [f["file"] for f in answer["upload-dropped"]["data"]["files"]] == names[:3]
    refused = json.dumps(answer["upload-refused"]["children"], ensure_ascii=False)
    assert "At most 3 files at a time: 第4份.xlsx, 第5份.xlsx not checked" in refused
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(upload_waiting)).scalar() == 3
    zh = client.post("/_dash-update-component", json=drop_body([data_url(content)] * 4, names[:4], "zh"),
                     headers=headers).get_json()["response"]
    assert "每次最多上传 3 个文件：第4份.xlsx 未检查" in json.dumps(zh["upload-refused"]["children"],
                                                                 ensure_ascii=False)
    # A file over this web server's limit or not named .xlsx is refused in the request, its bytes never kept.
    config = tmp_path / "small.toml"
    config.write_text("[upload]\nmax_file_mb = 1\n", encoding="utf-8")
    os.environ["SHEQU_CONFIG"] = str(config)
    try:
        big = client.post("/_dash-update-component", json=drop_body(
            [data_url(b"PK" + b"\0" * 2**20), data_url(content)], ["big.xlsx", "notes.pdf"]),
            headers=headers).get_json()["response"]
    finally:
        del os.environ["SHEQU_CONFIG"]
    assert big["upload-dropped"]["data"] == {"files": []}
    refused = json.dumps(big["upload-refused"]["children"], ensure_ascii=False)
    assert "big.xlsx: The file is larger than 1 MB" in refused and "notes.pdf: Only .xlsx" in refused
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(upload_waiting)).scalar() == 3 + 3


def test_a_celery_job_carries_tokens_not_the_file_and_a_dead_worker_is_said_in_words(db_url, engine, tmp_path,
                                                                                        monkeypatch):
    config = tmp_path / "quick.toml"
    config.write_text("[upload]\njob_start_seconds = 2\n", encoding="utf-8")
    monkeypatch.setenv("SHEQU_CONFIG", str(config))
    add_user(engine, "ana", PASSWORD, "analyst", "450981")
    rows = standard_rows("450981", 5) * 400                   # a 2,000-row return: the message would hold it
    content = write_workbook(tmp_path / "big.xlsx", SheetSpec(rows=rows)).read_bytes()
    assert len(content) > 40_000
    with redis_server(tmp_path) as url:
        monkeypatch.setenv("SHEQU_CELERY_BROKER", url)
        app = create_app(db_url, secret_key=SECRET, cache_dir=tmp_path / "cache")
        client, headers = logged_in(app, "ana")
        drop = client.post("/_dash-update-component", json=drop_body([data_url(content)], ["big.xlsx"]),
                           headers=headers).get_json()["response"]["upload-dropped"]["data"]
        token = drop["files"][0]["token"]
        started = time.monotonic()
        # No worker runs: the job waits in Redis, and its message is what the worker would be sent.
        with pytest.raises(AssertionError, match="no answer"):
            run_background(client, check_body(drop), headers, timeout=0.5)
        queued = redis.Redis.from_url(url).lrange("celery", 0, -1)
        assert len(queued) == 1
        message = json.loads(queued[0])
        body = base64.b64decode(message["body"]).decode()
        assert token in body and len(queued[0]) < 10_000, len(queued[0])
        assert base64.b64encode(content[:3000]).decode()[:200] not in body
        # Past upload.job_start_seconds with no worker, the poll answers in words instead of polling for ever.
        answer = run_background(client, check_body(drop), headers, timeout=30)
        assert time.monotonic() - started >= 2
        assert "The checking service did not answer" in json.dumps(answer["response"]), answer


def _note(log, *words) -> None:
    """One line appended to the shared log (an O_APPEND write of a short line is whole; a multiprocessing Queue
    is not safe from a process killed while it uses it)."""
    with open(log, "a") as out:
        out.write(" ".join(map(str, words)) + "\n")


def _hold_a_turn(folder, log, seconds, slots=2):
    with check_queue.turn(folder, slots):
        _note(log, "in", os.getpid(), time.monotonic())
        time.sleep(seconds)
        _note(log, "out", os.getpid(), time.monotonic())


def _wait_and_tell(folder, log):
    heard = []
    with check_queue.turn(folder, 1, waiting=heard.append):
        pass
    _note(log, "heard", *heard)


def _lines(log, first: str, n: int) -> list[list[str]]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        lines = [line.split() for line in log.read_text().splitlines()] if log.exists() else []
        if sum(line[0] == first for line in lines) >= n:
            return lines
        time.sleep(0.05)
    raise AssertionError(log.read_text() if log.exists() else "nothing logged")


def test_checks_take_turns_at_most_two_at_once_and_a_dead_ones_turn_is_freed(tmp_path):
    folder, log = tmp_path / "slots", tmp_path / "log"
    ctx = multiprocessing.get_context("fork")
    # One holder that dies inside its turn: the kernel frees its slot.
    doomed = ctx.Process(target=_hold_a_turn, args=(folder, log, 60))
    doomed.start()
    _lines(log, "in", 1)
    doomed.kill()
    doomed.join()
    log.unlink()
    jobs = [ctx.Process(target=_hold_a_turn, args=(folder, log, 0.3)) for _ in range(8)]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join(timeout=60)
        assert job.exitcode == 0
    events = sorted(_lines(log, "out", 8), key=lambda e: float(e[2]))
    inside = most = 0
    for kind, _pid, _t in events:
        inside += 1 if kind == "in" else -1
        most = max(most, inside)
    assert most == 2, events
    assert not list(folder.glob("wait-*"))                   # every ticket gone, the dead one's too


def test_waiting_hears_how_many_are_ahead(tmp_path):
    folder, log = tmp_path / "slots", tmp_path / "log"
    ctx = multiprocessing.get_context("fork")
    holder = ctx.Process(target=_hold_a_turn, args=(folder, log, 1.5, 1))
    holder.start()
    _lines(log, "in", 1)
    waiters = [ctx.Process(target=_wait_and_tell, args=(folder, log)) for _ in range(2)]
    for waiter in waiters:
        waiter.start()
        time.sleep(0.3)
    for process in (holder, *waiters):
        process.join(timeout=30)
    heard = [line[1:] for line in _lines(log, "heard", 2) if line[0] == "heard"]
    # The first waiter heard none ahead; the second, one (the first) — then its turn came.
    assert sorted(h[0] for h in heard) == ["0", "1"], heard


def test_the_template_offers_the_period_being_collected(engine, tmp_path):
    from dashboard.data import source_for
    from dashboard.pages.upload import collecting_period
    assert collecting_period(source_for(engine)) == str(date.today().year)
    analyst = auth.WebUser(add_user(engine, "ana", PASSWORD, "analyst", "450981"))
    book = write_workbook(tmp_path / "a.xlsx", SheetSpec(rows=standard_rows("450981", 3),
                                                         title=[["填报单位：北流市", "报告期：2016年"]]))
    token = uploads.check_file(engine, analyst, "a.xlsx", book.read_bytes(), 2**20).token
    assert uploads.submit_file(engine, analyst, token).status == "loaded"
    assert collecting_period(source_for(engine)) == "2016"     # one county of six in: still being collected


def _client_checks(base: str, username: str, content: bytes, results: dict) -> None:
    """One analyst's browser, as requests: log in, drop the file, start the check, poll until the answer."""
    import requests
    s = requests.Session()
    assert http_login(s, base, username, PASSWORD).status_code == 302
    headers = {"X-CSRFToken": s.cookies.get("_csrf_token", "")}
    url = f"{base}/_dash-update-component"
    started = time.monotonic()
    drop = s.post(url, json=drop_body([data_url(content)], [f"{username}.xlsx"]), headers=headers,
                  timeout=60).json()["response"]["upload-dropped"]["data"]
    handles = s.post(url, json=check_body(drop), headers=headers, timeout=60).json()
    progress = []
    while time.monotonic() - started < 240:
        reply = s.post(url, json=check_body(drop), headers=headers, timeout=60,
                       params={"cacheKey": handles["cacheKey"], "job": handles["job"]}).json()
        progress.append(json.dumps(reply.get("progress", ""), ensure_ascii=False))
        if "response" in reply:
            results[username] = (json.dumps(reply["response"], ensure_ascii=False), progress,
                                 time.monotonic() - started)
            print(f"{username}: answered after {time.monotonic() - started:.1f} s", flush=True)
            return
        time.sleep(0.25)
    results[username] = ("no answer", progress, time.monotonic() - started)


def test_a_burst_of_checks_against_a_real_server_queues_and_every_client_gets_its_answer(db_url, engine, tmp_path):
    """12 analysts drop a 1,000-row return at once on `shequ serve` (waitress, diskcache jobs forked per check):
    no more than upload.parallel_checks (2) parsers run at any moment, and every client gets its answer.

    On both databases: on SQLite, jobs forked from the threaded server once hung in sqlite3.connect on a lock
    another thread held at the fork, and the others waited 30 s for the database (issue 14); they are now forked
    from the launcher (dashboard/jobs.py JobLauncher)."""
    import signal
    import subprocess
    import threading

    import psutil

    from test_serve import BIN, free_port, wait_for
    url = db_url
    users = [f"ana{i}" for i in range(12)]
    for name in users:
        add_user(engine, name, PASSWORD, "analyst", "450981")
    config = tmp_path / "burst.toml"
    config.write_text("[upload]\nparallel_checks = 2\n", encoding="utf-8")
    content = write_workbook(tmp_path / "b.xlsx", SheetSpec(rows=error_rows(1000))).read_bytes()
    port = free_port()
    with open(tmp_path / "server.log", "w") as server_log:
        server = subprocess.Popen([str(BIN / "shequ"), "--db", url, "serve", "--port", str(port), "--threads", "16"],
                                  stdout=subprocess.DEVNULL, stderr=server_log, start_new_session=True,
                                  env={**os.environ, "SHEQU_SECRET_KEY": SECRET, "SHEQU_CONFIG": str(config),
                                       "SHEQU_CACHE_DIR": str(tmp_path / "cache")})
    parsers, done = [], threading.Event()

    def count_parsers():
        """The server's parser processes (the checks' isolated readers), every 20 ms."""
        while not done.is_set():
            running = 0
            for p in psutil.Process(server.pid).children(recursive=True):
                try:
                    running += "etl.read.parse_worker" in " ".join(p.cmdline())
                except psutil.Error:
                    pass
            parsers.append(running)
            time.sleep(0.02)

    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_for(f"{base}/health") == 200
        sampler = threading.Thread(target=count_parsers)
        sampler.start()
        results: dict = {}
        clients = [threading.Thread(target=_client_checks, args=(base, name, content, results)) for name in users]
        for client in clients:
            client.start()
        for client in clients:
            client.join(timeout=300)
        done.set()
        sampler.join()
    finally:
        done.set()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    log = (tmp_path / "server.log").read_text()
    assert sorted(results) == sorted(users), log[-3000:]
    for name, (answer, _progress, _seconds) in results.items():
        assert "upload-blocked" in answer and "more problems not shown" in answer, (name, answer[:500], log[-3000:])
    assert max(parsers) == 2, max(parsers)                     # the bound held, and was used
    assert any("Queued" in p for _a, progress, _s in results.values() for p in progress)
    seconds = sorted(s for _a, _p, s in results.values())
    print(f"burst of {len(users)}: answers in {seconds[0]:.1f}–{seconds[-1]:.1f} s; at most {max(parsers)} parsers")


def test_the_web_servers_size_limit_decides_not_the_job_workers(engine, tmp_path, monkeypatch):
    """SHEQU_CONFIG on the web servers but not on the worker: the request that accepted the file applied the web
    server's limit; the check and the submission (in the worker, with its own settings) do not refuse it again."""
    analyst = auth.WebUser(add_user(engine, "ana", PASSWORD, "analyst", "450981"))
    content = write_workbook(tmp_path / "a.xlsx", SheetSpec(rows=standard_rows("450981", 3))).read_bytes()
    accepted = uploads.accept(engine, analyst, "a.xlsx", content, 2**20)       # the web server: 1 MB
    assert accepted.status == "waiting"
    worker = tmp_path / "worker.toml"
    worker.write_text("[upload]\nmax_file_mb = 0.001\n", encoding="utf-8")    # the worker: 1 KB
    monkeypatch.setenv("SHEQU_CONFIG", str(worker))
    assert len(content) > 1024
    checked = uploads.check_waiting(engine, analyst, accepted.token)
    assert checked.status == "valid", checked.problems
    assert uploads.submit_file(engine, analyst, checked.token).status == "loaded"
