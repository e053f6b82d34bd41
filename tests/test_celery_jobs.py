"""Several machines: the upload's background jobs go through Celery and Redis to a `shequ worker` process.

A real Redis server, a real worker (another process, its own database connections, no shared folder with the
web app) and the web app answering through Flask's test client: the dry run and the submission both run in the
worker, and the return is loaded once.
"""
from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import dash
import pytest

from conftest import table_counts
from dash_requests import client_login, outputs, run_background
from redis_server import redis_server
from returns import simple_return

from dashboard.app import create_app
from etl.store.users import add_user

PASSWORD = "celery-pass-123"
SECRET = "celery-secret"


@pytest.fixture
def broker(tmp_path):
    with redis_server(tmp_path) as url:
        yield url


@pytest.fixture
def worker(broker, db_url, engine, tmp_path):
    """`shequ worker` on the same database and secret, started before the web app; its log is returned."""
    log = tmp_path / "worker.log"
    env = dict(os.environ, SHEQU_CELERY_BROKER=broker, SHEQU_SECRET_KEY=SECRET, SHEQU_DATABASE_URL=db_url)
    with log.open("w") as out:
        process = subprocess.Popen([str(Path(sys.executable).parent / "shequ"), "worker", "--concurrency", "1"],
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "ready." not in log.read_text():
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield log
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_dry_run_and_the_submission_run_in_a_celery_worker(worker, broker, engine, db_url, tmp_path,
                                                               monkeypatch):
    add_user(engine, "ana", PASSWORD, "analyst", "450981")
    monkeypatch.setenv("SHEQU_CELERY_BROKER", broker)
    app = create_app(db_url, secret_key=SECRET, cache_dir=tmp_path / "web-cache")
    assert isinstance(app._background_manager, dash.CeleryManager)
    client = app.server.test_client()
    headers = client_login(client, "ana", PASSWORD)

    content = simple_return(tmp_path / "北流市_2015.xlsx").read_bytes()
    # The drop: the web request keeps the file in the database and answers its token (no job yet).
    dropped = client.post("/_dash-update-component", headers=headers, json={
        "output": "..upload-dropped.data...upload-refused.children...upload-files.contents..",
        "outputs": [{"id": "upload-dropped", "property": "data"}, {"id": "upload-refused", "property": "children"},
                    {"id": "upload-files", "property": "contents"}],
        "inputs": [{"id": "upload-files", "property": "contents",
                    "value": ["data:;base64," + base64.b64encode(content).decode()]}],
        "changedPropIds": ["upload-files.contents"],
        "state": [{"id": "upload-files", "property": "filename", "value": ["北流市_2015.xlsx"]},
                  {"id": "upload-lang", "property": "data", "value": "en"}]}).get_json()["response"]
    drop = dropped["upload-dropped"]["data"]
    # The check, a job for the worker, carries the token only and reads the file from the database.
    check = {"output": "upload-results.children", "outputs": {"id": "upload-results", "property": "children"},
             "inputs": [{"id": "upload-dropped", "property": "data", "value": drop}],
             "changedPropIds": ["upload-dropped.data"],
             "state": [{"id": "upload-lang", "property": "data", "value": "en"}]}
    checked = run_background(client, check, headers)
    shown = str(checked["response"])
    assert "upload-ready" in shown, shown[:2000]
    assert checked["progress_seen"], "the dry run reported no progress"
    token = re.search(r"'token': '([^']+)'", shown).group(1)
    assert table_counts(engine)["submission"] == 0

    # The submit callback's outputs as the app declares them, for this file's token (what a click sends).
    spec = next(d for d in client.get("/_dash-dependencies").get_json() if "upload-outcome" in d["output"])
    declared = outputs(spec["output"])
    declared = declared if isinstance(declared, list) else [declared]
    submit = {"output": spec["output"],
              "outputs": ([dict(o, id={**json.loads(o["id"]), "token": token}) for o in declared]
                          if spec["output"].startswith("..") else dict(declared[0], id={
                              **json.loads(declared[0]["id"]), "token": token})),
              "inputs": [{"id": {"type": "upload-submit", "token": token}, "property": "n_clicks", "value": 1}],
              "changedPropIds": [f'{{"token":"{token}","type":"upload-submit"}}.n_clicks'],
              "state": [{"id": "upload-lang", "property": "data", "value": "en"}]}
    submitted = run_background(client, submit, headers)
    assert "upload-loaded" in str(submitted["response"]), submitted
    assert table_counts(engine)["submission"] == 1
    # Both jobs ran in the worker (not in the web app's process).
    assert worker.read_text().count("succeeded") >= 2, worker.read_text()
