"""What the delivery tests share: a database of the sample returns with users who have e-mail addresses, a real
SMTP server (aiosmtpd) and a real HTTP server standing in for the group robots, all on localhost."""
from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from etl.ingest import ingest_path
from etl.store.db import make_engine
from etl.store.load import set_statuses
from etl.store.queries import submissions
from etl.store.setup import init_db
from etl.store.status import Status
from etl.store.users import add_user

PASSWORD = "deliver-pass-1"
# 2015: every county approved (complete). 2014: 容县 (450921) sent nothing, 陆川县's (450922) awaits review, so
# the approved 2014 covers 5 of 7 counties.
MISSING_2014, AWAITING_2014 = "450921", "450922"
USERS = [  # name, role, county, e-mail
    ("chen", "admin", None, "chen@city.example.cn"),
    ("wang", "viewer", None, "wang@city.example.cn"),
    ("li", "analyst", "450981", "li@beiliu.example.cn"),           # 北流市
    ("zhao", "analyst", MISSING_2014, "zhao@rongxian.example.cn"),  # 容县
    ("sun", "analyst", AWAITING_2014, "sun@luchuan.example.cn"),    # 陆川县
    ("nomail", "viewer", None, None),
]


@pytest.fixture(scope="session")
def delivery_template(tmp_path_factory, sample_paths) -> Path:
    """The database built once; each test gets its own copy (it adds deliveries, audit entries)."""
    path = tmp_path_factory.mktemp("delivery") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    init_db(engine)
    for p in sample_paths:
        if p.name.startswith("2015") or (p.name.startswith("2014") and MISSING_2014 not in p.name):
            assert ingest_path(engine, p).status == "loaded"
    subs = submissions(engine)
    approve = subs[~((subs["period"] == "2014") & (subs["county_code"] == AWAITING_2014))]["id"]
    set_statuses(engine, [int(i) for i in approve], Status.APPROVED)
    for name, role, county, email in USERS:
        add_user(engine, name, PASSWORD, role, county, email)
    add_user(engine, "gone", PASSWORD, "viewer", None, "gone@city.example.cn")
    from etl.store.users import set_disabled
    set_disabled(engine, "gone")
    engine.dispose()
    return path


@pytest.fixture
def delivery_url(delivery_template, tmp_path) -> str:
    target = tmp_path / "delivery.db"
    with sqlite3.connect(delivery_template) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return f"sqlite:///{target}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps what it receives, or refuses every message with `refuse` (e.g. a 451)."""

    def __init__(self, refuse: str | None = None):
        self.refuse = refuse
        self.received: list = []
        self.tries = 0

    async def handle_DATA(self, server, session, envelope):
        self.tries += 1
        if self.refuse:
            return self.refuse
        self.received.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"

    def messages(self) -> dict:
        """recipient → the parsed message (each message here has one recipient)."""
        out = {}
        for rcpts, raw in self.received:
            assert len(rcpts) == 1
            out[rcpts[0]] = message_from_bytes(raw, policy=policy.default)
        return out

    def raw(self) -> dict:
        """recipient → the message's bytes as the server received them."""
        return {rcpts[0]: raw for rcpts, raw in self.received}


@pytest.fixture
def smtp_server():
    """Start a real SMTP server on localhost: smtp_server(Inbox()) → its port."""
    from aiosmtpd.controller import Controller
    started = []

    def start(inbox: Inbox) -> int:
        port = free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        return port

    yield start
    for controller in started:
        controller.stop()


def write_config(path: Path, smtp_port: int | None = None, extra: str = "", **schedule) -> Path:
    """A city's settings file (SHEQU_CONFIG) pointing deliveries at the local servers, with quick retries; keyword
    arguments are [schedule] settings (TOML values as text)."""
    mail = (f'[mail]\nhost = "127.0.0.1"\nport = {smtp_port}\nfrom = "玉林市社区办 <shequ@yulin.example.cn>"\n'
            'security = "none"\n') if smtp_port else ""
    schedule = {"attempts": "3", "retry_seconds": "0.01", **schedule}
    path.write_text(mail + '[web]\nbase_url = "https://shequ.example.cn"\n' + extra + "\n[schedule]\n" +
                    "".join(f"{k} = {v}\n" for k, v in schedule.items()), encoding="utf-8")
    return path


def pdf_text(content: bytes, tmp_path: Path) -> str:
    """The text of a PDF as poppler's pdftotext reads it (a PDF it cannot read fails here)."""
    path = tmp_path / "attachment.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


class Robots:
    """An HTTP server standing in for the WeCom and DingTalk webhooks: keeps each request, answers `reply`."""

    def __init__(self, reply: dict | None = None):
        self.requests: list[tuple[str, dict]] = []
        self.reply = reply or {"errcode": 0, "errmsg": "ok"}
        robots = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                robots.requests.append((self.path, json.loads(body)))
                answer = json.dumps(robots.reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
