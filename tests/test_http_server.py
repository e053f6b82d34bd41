"""`shequ serve` against the requests a stranger sends before any login: a real server process on a real port.

Waitress alone parsed a chunked body whose size line never ends in time growing with the square of its size
(16 MB: 16.8 s of CPU in its one I/O thread, issue 14); dashboard/http_server.py bounds it.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from test_serve import BIN, free_port, wait_for


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture
def server(tmp_path):
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    subprocess.run([str(BIN / "shequ"), "--db", url, "init"], check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen([str(BIN / "shequ"), "--db", url, "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/health")
        yield proc, port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)


def raw_request(port: int, head: bytes, body_parts, timeout: float = 30) -> bytes:
    """Send a request's head and body parts as a client would, then read what the server answers (it may close
    the connection before the body is all sent: that is an answer too)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head)
        try:
            for part in body_parts:
                sock.sendall(part)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except (ConnectionResetError, TimeoutError):
            pass
        return answer


CHUNKED_HEAD = (b"POST /login HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n\r\n")


def test_a_chunk_size_line_that_never_ends_is_refused_at_once_while_logins_go_on(server):
    proc, port = server
    before = cpu_seconds(proc.pid)
    slowest_login = []

    def logins():
        for _ in range(10):
            started = time.perf_counter()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=30) as response:
                assert response.status == 200
            slowest_login.append(time.perf_counter() - started)

    beside = threading.Thread(target=logins)
    beside.start()
    started = time.perf_counter()
    # 16 MB of hex digits and no CRLF: waitress alone spent 16.8 s of CPU on this.
    answer = raw_request(port, CHUNKED_HEAD, (b"1" * 65536 for _ in range(256)))
    elapsed = time.perf_counter() - started
    beside.join(60)
    assert answer.startswith(b"HTTP/1.1 400") and b"Chunk size line" in answer, answer[:300]
    assert elapsed < 10, elapsed
    assert cpu_seconds(proc.pid) - before < 3.0
    assert max(slowest_login) < 2.0, slowest_login


def test_a_chunked_trailer_that_never_ends_is_refused(server):
    _proc, port = server
    answer = raw_request(port, CHUNKED_HEAD, [b"0\r\n"] + [b"X-Pad: " + b"a" * 65536] * 64)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:300]


def test_well_formed_chunked_bodies_still_reach_the_app_and_bodies_are_bounded(server):
    _proc, port = server
    # A real chunked form post reaches the app, which asks for its CSRF token: the body was read.
    answer = raw_request(port, CHUNKED_HEAD, [b"11\r\nusername=a&passwo\r\n", b"7\r\nrd=b&x=\r\n", b"0\r\n\r\n"])
    assert answer.startswith(b"HTTP/1.1 400") and "安全令牌".encode() in answer, answer[:300]
    # A body over what the app accepts (a few files' base64) is refused before it is read.
    head = (b"POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2000000000\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n\r\n")
    assert raw_request(port, head, [b"x" * 1024]).startswith(b"HTTP/1.1 413")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as response:
        assert response.headers["Server"] == "shequ"
