"""The deployment deploy/README.md describes, brought up on this machine from deploy/'s files and used through nginx.

PostgreSQL (a role and database made as the guide says, the password URL-encoded) and Redis, `shequ init` and two
logins made with the CLI, `shequ worker`, gunicorn with 4 workers and deploy/gunicorn.conf.py, and nginx serving
deploy/nginx/shequ.conf over HTTPS (a certificate made here); the environment is deploy/shequ.env.example's. nginx
connects to gunicorn from 127.0.0.3 while the browser comes from 127.0.0.1, so the audit log shows whose address it
took. In headless Chromium through nginx: an analyst checks a sample return, gunicorn is reloaded (SIGHUP, what
`systemctl reload shequ-web` sends) and the analyst submits it; gunicorn is stopped and started again and the
analyst is still logged in; an admin approves the return.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from browser.conftest import free_port, login, logout, screenshot, visit
from browser.test_upload_flow import click, drop
from conftest import table_counts
from dash_requests import check_body, data_url, drop_body, form_token
from redis_server import redis_server
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import text

from dashboard.app import max_request_bytes
from etl.store.audit import events
from etl.store.db import make_engine

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
SAMPLE = ROOT / "sample_data" / "2015_450981_北流市.xlsx"
CLIENT, PROXY = "127.0.0.1", "127.0.0.3"        # the browser's address; the one nginx connects to gunicorn from
# A password with every character that breaks a database URL unless it is encoded.
DB_PASSWORD = "p@ss:w/rd%#?& 1"
USERS = {"ana": ("analyst", "450981"), "chief": ("admin", None)}
PASSWORD = "deploy-pass-1"

pytestmark = pytest.mark.browser


@dataclass
class Deployment:
    url: str                                    # https://127.0.0.1:PORT, nginx
    http_url: str                               # nginx's plain HTTP server (redirects)
    cert: Path
    folder: Path
    engine: object
    env: dict
    server_url: str                             # the PostgreSQL server's, to make more databases
    processes: list                             # worker, gunicorn, nginx: all stopped at the end
    databases: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)

    @property
    def gunicorn(self) -> subprocess.Popen:
        return next(p for p in self.processes if "gunicorn" in p.args)

    def log(self, name: str) -> str:
        return (self.folder / name).read_text(errors="replace")

    def restart_gunicorn(self) -> None:
        """Stop gunicorn (SIGTERM: requests under way finish) and start it again, as `systemctl restart` does."""
        old = self.gunicorn
        stop(old)
        self.processes[self.processes.index(old)] = start_gunicorn(self.env, self.folder)
        wait_until_warm(self.env, self.processes, self.folder)


def environment_file() -> dict[str, str]:
    """deploy/shequ.env.example's settings (KEY=value lines), as systemd reads them."""
    lines = (DEPLOY / "shequ.env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def wait_for(check, what: str, timeout: float = 90, processes=(), logs=()) -> float:
    """Until check() is true; fails early if one of `processes` ended. Returns the seconds waited."""
    start = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - start
        except (OSError, requests.RequestException):
            pass
        ended = [p.args for p in processes if p.poll() is not None]
        if ended or time.monotonic() - start > timeout:
            tails = "\n".join(f"--- {log}\n{Path(log).read_text(errors='replace')[-3000:]}" for log in logs
                              if Path(log).exists())
            raise AssertionError(f"{what}: {'ended ' + str(ended) if ended else 'timed out'}\n{tails}")
        time.sleep(0.2)


def start(command: list[str], env: dict, log: Path, err: Path | None = None, **kwargs) -> subprocess.Popen:
    with log.open("a") as out, (err or log).open("a") as errors:
        return subprocess.Popen(command, env=env, stdout=out, stderr=errors, **kwargs)


def start_gunicorn(env: dict, folder: Path) -> subprocess.Popen:
    """shequ-web.service's command (the test's interpreter for the venv's), 4 workers; stdout is the journal's."""
    return start([sys.executable, "-m", "gunicorn", "-w", "4", "-c", str(DEPLOY / "gunicorn.conf.py"),
                  "dashboard.wsgi:app"], env, folder / "gunicorn.out", folder / "gunicorn.err", cwd=folder)


def wait_until_warm(env: dict, processes: list, folder: Path) -> float:
    logs = [folder / n for n in ("gunicorn.err", "gunicorn.out", "worker.log", "nginx.log")]
    return wait_for(lambda: requests.get(f"http://{env['SHEQU_BIND']}/ready", timeout=5).status_code == 200,
                    "gunicorn's /ready", processes=processes, logs=logs)


def stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def workers_of(master: int) -> set[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return {int(pid) for pid in children}


def make_database(server_url: str) -> str:
    """The guide's role and database on a throwaway server; the URL the environment file gets."""
    admin = make_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
    name = f"shequ_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        # exec_driver_sql: no parameters in CREATE ROLE; %% is psycopg's literal %.
        conn.exec_driver_sql(f"CREATE ROLE {name} LOGIN PASSWORD '{DB_PASSWORD.replace('%', '%%')}'")
        conn.exec_driver_sql(f"CREATE DATABASE {name} OWNER {name} ENCODING 'UTF8'")
    admin.dispose()
    host = server_url.split("@", 1)[1].split("/", 1)[0]
    return f"postgresql+psycopg://{name}:{quote(DB_PASSWORD, safe='')}@{host}/{name}"


def certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "shequ.crt", folder / "shequ.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def site_config(upstream: str, https_port: int, http_port: int, folder: Path) -> str:
    """deploy/nginx/shequ.conf with only the upstream's address, the listen ports and the paths changed."""
    site = (DEPLOY / "nginx" / "shequ.conf").read_text()
    changes = [("server 127.0.0.1:8050;", f"server {upstream};"),
               ("listen 80;", f"listen {CLIENT}:{http_port};"),
               ("listen 443 ssl http2;", f"listen {CLIENT}:{https_port} ssl http2;"),
               ("/etc/ssl/shequ/", f"{folder}/"), ("/var/log/nginx/", f"{folder}/")]
    for old, new in changes:
        assert old in site, f"deploy/nginx/shequ.conf no longer has {old!r}: update this test"
        site = site.replace(old, new)
    return re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", site)      # IPv6: a free port is looked up on IPv4 only


def nginx_config(folder: Path) -> str:
    """The main configuration around the site, as Debian's /etc/nginx/nginx.conf has it, in the test's folder."""
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                          "uwsgi", "scgi"))
    return f"""{'user root;' if os.geteuid() == 0 else ''}
worker_processes 2;
pid {folder}/nginx.pid;
error_log {folder}/nginx-main.log notice;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
{temp}
    access_log {folder}/nginx-other.log;
    # The test's own addition: nginx reaches gunicorn from another loopback address than the browser's.
    proxy_bind {PROXY};
    include {folder}/shequ.conf;
}}
"""


@pytest.fixture
def deployment(postgres_server_url, tmp_path):
    """Everything running, as deploy/README.md sets it up; every process stopped afterwards."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx is missing: `make test` installs Debian's nginx-light"
    timings, began = {}, time.monotonic()
    processes: list[subprocess.Popen] = []
    with ExitStack() as stack:
        broker = stack.enter_context(redis_server(tmp_path))
        db_url = make_database(postgres_server_url)
        databases = [db_url]
        settings = environment_file()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHEQU_")}
        env.update(settings, SHEQU_DATABASE_URL=db_url, SHEQU_SECRET_KEY=secrets.token_hex(32),
                   SHEQU_CELERY_BROKER=broker, SHEQU_CACHE_DIR=str(tmp_path / "cache"), HOME=str(tmp_path),
                   SHEQU_BIND=f"127.0.0.1:{free_port()}", SHEQU_BACKUP_DIR=str(tmp_path / "backups"))
        if BIN != ROOT / ".venv" / "bin":           # else deploy/shequ-backup finds ../.venv/bin/shequ, as installed
            env["SHEQU_BIN"] = str(BIN / "shequ")
        assert env["SHEQU_PROXY_HOPS"] == "1" and env["SHEQU_SECURE_COOKIES"] == "1"
        shequ = str(BIN / "shequ")
        subprocess.run([shequ, "init"], env=env, check=True, capture_output=True)
        for name, (role, county) in USERS.items():
            subprocess.run([shequ, "user", "add", name, "--role", role, *(["--county", county] if county else []),
                            "--password-stdin"], env=env, input=PASSWORD + "\n", text=True, check=True,
                           capture_output=True)
        timings["database, redis, init, users"] = time.monotonic() - began
        try:
            worker = start([shequ, "worker", "--concurrency", "2"], env, tmp_path / "worker.log")
            processes.append(worker)
            processes.append(start_gunicorn(env, tmp_path))
            cert, _key = certificate(tmp_path)
            https_port, http_port = free_port(), free_port()
            (tmp_path / "shequ.conf").write_text(site_config(env["SHEQU_BIND"], https_port, http_port, tmp_path))
            (tmp_path / "nginx.conf").write_text(nginx_config(tmp_path))
            checked = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                                     check=False, capture_output=True, text=True)
            assert checked.returncode == 0, checked.stderr
            proxy = start([nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
                          env, tmp_path / "nginx.log")
            processes.append(proxy)
            logs = [tmp_path / n for n in ("gunicorn.err", "gunicorn.out", "worker.log", "nginx.log")]
            wait_until_warm(env, processes, tmp_path)
            wait_for(lambda: "ready." in (tmp_path / "worker.log").read_text(), "shequ worker", processes=processes,
                     logs=logs)
            wait_for(lambda: requests.get(f"https://{CLIENT}:{https_port}/health", verify=str(cert),
                                          timeout=5).status_code == 200, "nginx", processes=processes, logs=logs)
            timings["worker, gunicorn, nginx up"] = time.monotonic() - began - timings["database, redis, init, users"]
            engine = make_engine(db_url)
            stack.callback(engine.dispose)
            yield Deployment(f"https://{CLIENT}:{https_port}", f"http://{CLIENT}:{http_port}", cert, tmp_path,
                             engine, env, postgres_server_url, processes, databases, timings)
        finally:
            for process in reversed(processes):
                stop(process, signal.SIGQUIT if process.args[0] == nginx else signal.SIGTERM)
            for url in databases:
                drop_database(postgres_server_url, url)


def drop_database(server_url: str, db_url: str) -> None:
    name = db_url.rsplit("/", 1)[1]
    admin = make_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.exec_driver_sql(f"DROP ROLE IF EXISTS {name}")
    admin.dispose()


def browser(download: Path):
    """Headless Chromium as the browser tests have it, accepting the test's own certificate."""
    from dash.testing.browser import Browser
    options = Options()
    for flag in ("--disable-background-networking", "--no-first-run", "--window-size=1280,1000", "--lang=zh-CN",
                 "--disable-extensions", "--disable-component-update"):
        options.add_argument(flag)
    options.accept_insecure_certs = True
    return Browser("chrome", headless=True, options=[options], download_path=str(download))


def https_connection(d: Deployment) -> http.client.HTTPSConnection:
    """A raw connection to nginx, for requests that requests cannot make (a body announced and not sent)."""
    return http.client.HTTPSConnection(CLIENT, int(d.url.rsplit(":", 1)[1]), timeout=10,
                                       context=ssl.create_default_context(cafile=str(d.cert)))


def logged_in(d: Deployment, username: str, **headers) -> requests.Session:
    """A session through nginx, logged in with the plain form."""
    session = requests.Session()
    session.verify = str(d.cert)
    session.trust_env = False                   # REQUESTS_CA_BUNDLE would win over verify, a proxy over loopback
    page = session.get(f"{d.url}/login", timeout=10).text
    form = {"username": username, "password": PASSWORD, "next": "/",
            "csrf_token": form_token(page)}
    answer = session.post(f"{d.url}/login", data=form, headers=headers, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:500]
    session.headers["X-CSRFToken"] = session.cookies["_csrf_token"]
    return session


def check_through_proxy(session: requests.Session, url: str, name: str, content: bytes) -> dict:
    """The upload as the page sends it: the drop (one file, base64 in JSON, kept by the web server in the
    database), then the check of its token, polled until it answers."""
    dropped = session.post(f"{url}/_dash-update-component", json=drop_body([data_url(content)], [name]), timeout=60)
    assert dropped.status_code == 200, (dropped.status_code, dropped.text[:500])
    body = check_body(dropped.json()["response"]["upload-dropped"]["data"])
    first = session.post(f"{url}/_dash-update-component", json=body, timeout=60)
    assert first.status_code == 200, (first.status_code, first.text[:500])
    handles = first.json()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answer = session.post(f"{url}/_dash-update-component", json=body, timeout=60,
                              params={"cacheKey": handles["cacheKey"], "job": handles["job"]})
        assert answer.status_code == 200, (answer.status_code, answer.text[:500])
        if "response" in answer.json():
            return answer.json()["response"]
        time.sleep(0.3)
    raise AssertionError("the check gave no answer in 60 s")


def test_the_deployment_serves_through_nginx_survives_a_reload_and_records_the_clients_address(deployment, tmp_path):
    d = deployment
    began = time.monotonic()

    # --- nginx itself: HTTPS only, HSTS, no version, /health for a monitor -------------------------------------
    health = requests.get(f"{d.url}/health", verify=str(d.cert), timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert health.headers["Strict-Transport-Security"].startswith("max-age=")
    assert health.headers["Server"] == "nginx"                         # server_tokens off: no version
    redirect = requests.get(f"{d.http_url}/upload?x=1", allow_redirects=False, timeout=10)
    assert redirect.status_code == 301 and redirect.headers["Location"].startswith("https://")
    assert redirect.headers["Location"].endswith("/upload?x=1")

    # --- in the browser, through nginx: the analyst checks a return --------------------------------------------
    with browser(tmp_path / "download") as br:
        br._url = d.url
        login(br, "ana", PASSWORD, next_path="/upload")
        br.wait_for_element("#upload-files", timeout=30)
        drop(br, SAMPLE)
        br.wait_for_element(".upload-file .upload-ready", timeout=60)
        assert "北流市，2015年" in br.find_element(".upload-file").text
        screenshot(br, "deploy_checked_through_nginx_zh")

        # --- gunicorn reloads in the middle: new workers, the same master and socket ---------------------------
        before = workers_of(d.gunicorn.pid)
        assert len(before) == 4
        reload_began = time.monotonic()
        d.gunicorn.send_signal(signal.SIGHUP)
        wait_for(lambda: not (workers_of(d.gunicorn.pid) & before) and len(workers_of(d.gunicorn.pid)) == 4,
                 "gunicorn's new workers", timeout=60, processes=[d.gunicorn],
                 logs=[d.folder / "gunicorn.err"])
        d.timings["reload (SIGHUP) until 4 new workers"] = time.monotonic() - reload_began
        assert d.gunicorn.poll() is None

        # --- the flow goes on: the checked file is submitted, to whichever new worker answers --------------------
        click(br, ".upload-submit")
        br.wait_for_element(".upload-loaded", timeout=60)
        br.wait_for_contains_text("#upload-my-returns", SAMPLE.name, timeout=30)
        screenshot(br, "deploy_submitted_through_nginx_zh")
        assert br.get_logs() == []

        # --- a full stop and start: the analyst is still logged in (the same key, nothing kept in a process) -----
        restart_began = time.monotonic()
        d.restart_gunicorn()
        d.timings["restart (stop, start, warm)"] = time.monotonic() - restart_began
        visit(br, "/upload", "#upload-my-returns")
        assert SAMPLE.name in br.find_element("#upload-my-returns").text
        br.driver.execute_script("window.scrollTo({top: 0, behavior: 'instant'})")
        logout(br)

        # --- the admin approves it on /admin --------------------------------------------------------------------
        login(br, "chief", PASSWORD, next_path="/admin")
        br.wait_for_element("#admin-submission", timeout=30)
        br.select_dcc_dropdown("#admin-submission", index=0)
        br.find_element("body").send_keys(Keys.ESCAPE)
        click(br, "#admin-approve")
        WebDriverWait(br.driver, 20).until(expected_conditions.alert_is_present()).accept()
        br.wait_for_contains_text("#admin-message", "已审核通过", timeout=30)
        screenshot(br, "deploy_approved_through_nginx_zh")
        assert br.get_logs() == []
    d.timings["browser: check, reload, submit, restart, approve"] = time.monotonic() - began

    with d.engine.connect() as conn:
        submitted = [tuple(r) for r in conn.execute(text("SELECT file_name, status FROM submission"))]
    assert submitted == [(SAMPLE.name, "approved")]

    # --- bodies: 5 MB reaches the app and its worker; over the limit nginx answers 413 itself ------------------
    session = logged_in(d, "ana", **{"X-Forwarded-For": "6.6.6.6"})     # a client's own claim, to be ignored
    large = secrets.token_bytes(5 * 2**20)
    shown = json.dumps(check_through_proxy(session, d.url, "北流市_大.xlsx", large), ensure_ascii=False)
    assert "北流市_大.xlsx" in shown and "upload-blocked" in shown        # checked (and refused: not a workbook)
    site = (DEPLOY / "nginx" / "shequ.conf").read_text()
    limit_mb = int(re.search(r"client_max_body_size (\d+)m;", site).group(1))
    assert limit_mb * 2**20 == max_request_bytes(), "nginx's body limit must be the app's (dashboard/app.py)"
    connection = https_connection(d)
    connection.putrequest("POST", "/_dash-update-component")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(max_request_bytes() + 2**20))
    connection.endheaders()
    connection.send(b"{" + b" " * 65536)
    refused = connection.getresponse()
    assert refused.status == 413 and refused.getheader("Server") == "nginx"
    connection.close()

    # --- slow clients: more uploads stalled halfway than gunicorn has threads (4 × 2), and it answers at once ---
    stalled = []
    try:
        for _ in range(12):
            slow = https_connection(d)
            slow.putrequest("POST", "/login")                          # a form the app reads whole
            slow.putheader("Content-Type", "application/x-www-form-urlencoded")
            slow.putheader("Content-Length", str(2**20))
            slow.endheaders()
            slow.send(b"username=ana&password=" + b"x" * 4096)        # and then nothing more
            stalled.append(slow)
        asked = time.monotonic()
        try:
            answered = requests.get(f"{d.url}/health", verify=str(d.cert), timeout=10).status_code
        except requests.Timeout:
            answered = None
        # Without proxy_request_buffering each stalled body holds one of gunicorn's threads: no answer in 10 s.
        assert answered == 200 and time.monotonic() - asked < 5, "stalled bodies reached gunicorn's threads"
    finally:
        for slow in stalled:
            slow.close()

    # --- scripts go compressed --------------------------------------------------------------------------------
    index = session.get(f"{d.url}/", timeout=30).text
    script = re.search(r'src="(/_dash-component-suites/[^"]+\.js[^"]*)"', index).group(1)
    packed = session.get(d.url + script, headers={"Accept-Encoding": "gzip"}, timeout=30, stream=True)
    assert packed.status_code == 200 and packed.headers.get("Content-Encoding") == "gzip"
    packed.close()

    # --- the audit log: the browser's address, never nginx's, never a client's claim ----------------------------
    logged = events(d.engine)
    web = logged[logged["remote_addr"].notna()]
    for action, who in [("login", "ana"), ("login", "chief"), ("dry-run", "ana"), ("upload", "ana"),
                        ("approve", "chief")]:
        rows = web[(web["action"] == action) & (web["username"] == who)]
        assert len(rows) and set(rows["remote_addr"]) == {CLIENT}, (action, who, rows.to_dict("records"))
    assert set(web["remote_addr"]) == {CLIENT}, web[["action", "username", "remote_addr"]].to_dict("records")

    # --- logs: the app's INFO lines and the access log on gunicorn's stdout (the journal), with the client's ----
    out = d.log("gunicorn.out")
    assert "[INFO] dashboard.warmup: data version" in out
    access = [line for line in out.splitlines() if '"POST /_dash-update-component' in line]
    assert access and all(line.startswith(f"{CLIENT} ") for line in access), access[:3]
    assert PROXY not in out and "6.6.6.6" not in out
    assert "Traceback" not in d.log("gunicorn.err") + d.log("worker.log")
    assert d.log("worker.log").count("succeeded") >= 3                  # the checks and the submission ran there
    nginx_access = d.log("shequ.access.log")
    assert nginx_access and all(line.startswith(f"{CLIENT} ") for line in nginx_access.splitlines())

    # --- the nightly backup as its unit runs it, restored into a new database ---------------------------------
    backup_began = time.monotonic()
    subprocess.run([str(DEPLOY / "shequ-backup")], env=d.env, check=True, capture_output=True)
    dumps = sorted(Path(d.env["SHEQU_BACKUP_DIR"]).glob("shequ-*.jsonl.gz"))
    assert len(dumps) == 1 and not list(Path(d.env["SHEQU_BACKUP_DIR"]).glob("*.part"))
    restored_url = make_database(d.server_url)
    d.databases.append(restored_url)
    subprocess.run([str(BIN / "shequ"), "--db", restored_url, "restore", "--yes", str(dumps[0])], env=d.env,
                   check=True, capture_output=True)
    restored = make_engine(restored_url)
    try:
        assert table_counts(restored) == table_counts(d.engine)
        assert len(events(restored)) == len(events(d.engine))
        with restored.connect() as conn:
            assert [tuple(r) for r in conn.execute(text("SELECT file_name, status FROM submission"))] == submitted
    finally:
        restored.dispose()
    d.timings["backup and restore"] = time.monotonic() - backup_began
    print("\n".join(f"{what}: {seconds:.1f} s" for what, seconds in d.timings.items()))


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_the_systemd_units_are_valid(tmp_path):
    """deploy/systemd/*, as installed (/opt/shequ pointed at this checkout), pass `systemd-analyze verify`."""
    for unit in (DEPLOY / "systemd").iterdir():
        (tmp_path / unit.name).write_text(unit.read_text().replace("/opt/shequ/.venv/bin", str(BIN))
                                          .replace("/opt/shequ", str(ROOT)))
    found = subprocess.run(["systemd-analyze", "verify", *sorted(map(str, tmp_path.iterdir()))], check=False,
                           capture_output=True, text=True)
    assert found.returncode == 0 and not found.stderr.strip(), found.stderr
