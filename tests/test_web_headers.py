"""What every answer tells the browser and proxies: nobody's data kept in a cache, HTTPS remembered, no versions;
and the probes a load balancer reads (/health alive, /ready warm)."""
from __future__ import annotations

import re

import pytest

from dash_requests import client_login

from dashboard import warmup
from dashboard.app import create_app
from etl.store.users import add_user

PASSWORD = "header-pass-123"


@pytest.fixture
def app(engine, db_url, tmp_path):
    add_user(engine, "adm", PASSWORD, "admin")
    return create_app(db_url, secret_key="k", cache_dir=tmp_path / "cache")


def logged_in(app, base_url="http://localhost"):
    client = app.server.test_client()
    client_login(client, "adm", PASSWORD, base_url=base_url)
    return client


def test_answers_with_data_are_never_stored_and_static_files_may_be(app):
    client = logged_in(app)
    for path in ("/", "/admin", "/_dash-layout", "/_dash-dependencies", "/login", "/health"):
        assert client.get(path).headers.get("Cache-Control") == "no-store", path
    index = client.get("/").get_data(as_text=True)
    script = re.search(r'src="(/_dash-component-suites/[^"]+)"', index).group(1)
    for path in ("/assets/app.css", script):
        response = client.get(path)
        response.close()
        assert response.status_code == 200 and response.headers.get("Cache-Control") != "no-store", path


def test_hsts_only_over_https(app):
    assert "Strict-Transport-Security" not in logged_in(app).get("/").headers
    secure = logged_in(app, "https://localhost")
    assert secure.get("/", base_url="https://localhost").headers["Strict-Transport-Security"] == "max-age=31536000"


def test_the_page_tells_no_versions_of_python_or_dash(app):
    import sys

    import dash
    client = logged_in(app)
    index = client.get("/").get_data(as_text=True)
    assert sys.version not in index and '"python_version"' not in index and '"dash_version"' not in index
    assert dash.__version__ not in index and dash.__version__.replace(".", "_") not in index   # nor in file names
    for script in re.findall(r'src="(/_dash-component-suites/[^"]+)"', index):
        served = client.get(script)
        served.close()
        assert served.status_code == 200, script                    # the renamed files are served


def test_health_is_liveness_and_ready_waits_for_the_first_warm_only(app):
    client = app.server.test_client()
    warmer = warmup.Warmer(app.server)            # not started: the state a server has while it builds its tables
    app.server.extensions[warmup.EXTENSION] = warmer
    assert client.get("/health").status_code == 200 and client.get("/health").get_json() == {"status": "ok"}
    waiting = client.get("/ready")
    assert waiting.status_code == 503 and waiting.get_json()["ready"] is False and waiting.get_json()["data_version"]
    warmer.version, warmer.ready = waiting.get_json()["data_version"], True
    assert client.get("/ready").status_code == 200 and client.get("/ready").get_json()["warm"] is True
    # A data change: every server warms again, and stays in the balancer meanwhile.
    warmer.ready = False
    again = client.get("/ready")
    assert again.status_code == 200 and again.get_json()["ready"] is True and again.get_json()["warm"] is False
