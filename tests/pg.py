"""A throwaway PostgreSQL cluster for the test session: SHEQU_TEST_POSTGRES_URL if given, else Debian's server."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bin_dir() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


def _as_server_user(cmd: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; Debian's package provides the 'postgres' user for that.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def available() -> bool:
    return bool(os.environ.get("SHEQU_TEST_POSTGRES_URL")) or _bin_dir() is not None


@contextmanager
def cluster():
    """Yields a SQLAlchemy URL of an empty database; the cluster (if we started it) stops afterwards."""
    given = os.environ.get("SHEQU_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    bin_dir = _bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql, or set SHEQU_TEST_POSTGRES_URL")
    root = tempfile.mkdtemp(prefix="shequ-pg-")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    data, port = os.path.join(root, "data"), _free_port()
    subprocess.run(_as_server_user([f"{bin_dir}/initdb", "-D", data, "--auth=trust", "-U", "shequ", "-E", "UTF8",
                                    "--locale=C.UTF-8"]), check=True, capture_output=True)
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off " \
              f"-c max_connections=100"
    subprocess.run(_as_server_user([f"{bin_dir}/pg_ctl", "-D", data, "-o", options, "-l", f"{root}/log", "-w",
                                    "start"]), check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://shequ@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_server_user([f"{bin_dir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"]),
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
