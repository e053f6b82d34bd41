"""`shequ demo` and `shequ serve` as users start them: a real process, a real port, a real HTTP answer."""
from __future__ import annotations

import inspect
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 90) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def ready(port: int) -> tuple[int, dict]:
    """/ready's status and JSON (a 503 is an answer here, not an error)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_demo_loads_the_sample_prints_a_login_and_serves(tmp_path):
    port = free_port()
    log = tmp_path / "demo.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([str(BIN / "shequ"), "demo", "--port", str(port), "--dir", str(tmp_path / "d")],
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        try:
            wait_for(f"http://127.0.0.1:{port}/health")
        except AssertionError:
            raise AssertionError(log.read_text()) from None
        text = log.read_text()
        assert "login: admin / " in text and f"http://127.0.0.1:{port}" in text
        from etl.store.db import make_engine
        from etl.store import queries
        values = queries.indicator_values(make_engine(f"sqlite:///{tmp_path / 'd' / 'demo.db'}"), period="2015",
                                          level="city").set_index("indicator")["value"]
        assert values["area_ge_500"] == 127
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)


def test_serve_answers_health_on_the_given_port(sample_db_url):
    port = free_port()
    # The sample holds submitted returns: shown by default with --basis current, so the warm-up has work to do.
    proc = subprocess.Popen([str(BIN / "shequ"), "--db", sample_db_url, "serve", "--port", str(port), "--basis",
                             "current"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        assert wait_for(f"http://127.0.0.1:{port}/health") == 200
        # The server builds the latest period's tables in the background: /ready says 503 until it has, /health
        # (liveness) says 200 all along.
        deadline = time.monotonic() + 60
        while (answer := ready(port))[0] != 200:
            assert answer[0] == 503 and answer[1]["ready"] is False and answer[1]["data_version"]
            assert time.monotonic() < deadline, "the server never finished warming"
            time.sleep(0.3)
        assert answer[1]["warm"] is True and answer[1]["warm_version"] == answer[1]["data_version"]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)


def test_warming_builds_what_the_pages_read(sample_engine):
    from dashboard import data, warmup
    memos = [f for f in vars(data).values() if inspect.isfunction(f) and hasattr(f, "cache_info")]
    for memo in memos:
        memo.cache_clear()
    src = data.source_for(sample_engine, "current")
    warmup.warm(src)
    built = {f.__name__: f.cache_info().misses for f in memos}
    # What the pages read for the latest period is then read from memory: nothing more is built.
    assert len(data.community_table(src, "2015", "450902")) and len(data.community_table(src, "2015"))
    data.flags(src, "2015"), data.scorecard(src, "2015"), data.leaders(src, "2015")
    data.values(src, "county", "2015"), data.values(src, "county", area="450902"), data.city_values(src)
    assert {f.__name__: f.cache_info().misses for f in memos} == built
    assert built["_community_table_by_county"] == built["_quality_flags"] == built["_leaders"] == 1
