"""A database password is never printed: not by `shequ init` or `shequ serve`, not in an error (issue 14)."""
from __future__ import annotations

import os
import signal
import subprocess

from click.testing import CliRunner
from test_serve import BIN, free_port, wait_for

from etl.cli import cli
from etl.store.db import redact_urls, shown_url

SECRET = "S3cr%40t-pass"            # URL-encoded '@', as the deployment guide tells


def with_password(url: str) -> str:
    """The test cluster's URL with a password (its trust authentication takes any)."""
    scheme, rest = url.split("://", 1)
    user, host = rest.split("@", 1)
    return f"{scheme}://{user}:{SECRET}@{host}"


def test_urls_are_shown_without_their_password():
    assert shown_url("postgresql+psycopg://shequ:pa%40ss@db:5432/shequ") == "postgresql+psycopg://shequ:***@db:5432/shequ"
    assert shown_url("sqlite:///shequ.db") == "sqlite:///shequ.db"
    assert redact_urls("cannot parse 'postgresql://u:p@ss w@h/x' or redis://:tok@r:6379/0") == \
        "cannot parse 'postgresql://u:***@ss w@h/x' or redis://:***@r:6379/0"


def test_init_serve_and_errors_never_echo_the_password(postgres_server_url, tmp_path):
    url = with_password(postgres_server_url)
    result = CliRunner().invoke(cli, ["--db", url, "init"])
    assert result.exit_code == 0, result.output
    assert "S3cr" not in result.output and ":***@" in result.output
    # A URL that cannot be used: the error quotes it, without the password.
    for bad in (url.replace("127.0.0.1:", "127.0.0.1:1"), url.replace("postgresql+psycopg", "postgresql+nodriver")):
        failed = subprocess.run([str(BIN / "shequ"), "--db", bad, "submissions"], capture_output=True, text=True,
                                check=False)
        assert failed.returncode != 0 and "error" in failed.stderr
        assert "S3cr" not in failed.stdout + failed.stderr
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([str(BIN / "shequ"), "--db", url, "serve", "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/health")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
    text = log.read_text()
    assert f"http://127.0.0.1:{port}" in text and ":***@" in text and "S3cr" not in text
