"""Real-browser fixtures: headless Chromium options, one dashboard over the sample data, screenshots."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
from selenium.webdriver.chrome.options import Options

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def pytest_setup_options():
    options = Options()
    for flag in ("--disable-background-networking", "--no-first-run", "--window-size=1280,1000",
                 "--lang=zh-CN", "--disable-extensions", "--disable-component-update"):
        options.add_argument(flag)
    return options


def pytest_collection_modifyitems(items):
    for item in items:
        if "/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


PASSWORD = "browser-pass-1"
USERS = {"admin": ("admin", None), "viewer": ("viewer", None), "analyst": ("analyst", "450981")}


def add_users(url: str) -> None:
    """An admin, a viewer and an analyst of 北流市 (450981), all with PASSWORD."""
    from etl.store.db import make_engine
    from etl.store.users import add_user
    engine = make_engine(url)
    for name, (role, county) in USERS.items():
        add_user(engine, name, PASSWORD, role, county)
    engine.dispose()


@pytest.fixture(scope="session")
def approved_db_url(sample_db_url, tmp_path_factory) -> str:
    """A copy of the sample database with every return approved (the officials' view shows approved figures)."""
    import shutil
    from etl.store.db import make_engine
    from etl.store.load import set_status
    from etl.store.queries import submissions
    source = sample_db_url.removeprefix("sqlite:///")
    target = tmp_path_factory.mktemp("approved") / "approved.db"
    shutil.copy(source, target)
    url = f"sqlite:///{target}"
    engine = make_engine(url)
    for sid in sorted(submissions(engine)["id"]):
        set_status(engine, int(sid), "approved")
    engine.dispose()
    add_users(url)
    return url


@pytest.fixture(scope="session")
def dashboard_app(approved_db_url, tmp_path_factory):
    """One app for the session: page modules register their callbacks once per process."""
    from dashboard.app import create_app
    return create_app(approved_db_url, secret_key="browser-tests", cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture
def dash(dash_duo, dashboard_app):
    start(dash_duo, dashboard_app)
    login(dash_duo, "admin")
    return dash_duo


def free_port() -> int:
    """A port nobody listens on: Dash's runner counts up from 58050 in every process, so two test runs on one
    machine (two developers, a run beside the benchmark) would take each other's servers."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(dash_duo, app) -> None:
    """Start the server without opening "/" (which asks for a login first)."""
    dash_duo.start_server(app, navigate=False, port=free_port())
    dash_duo._url = dash_duo.server.url.rstrip("/")


def login(dash_duo, username: str, password: str = PASSWORD, next_path: str = "/") -> None:
    """Through the plain login form, as a person does."""
    from urllib.parse import quote
    driver = dash_duo.driver
    driver.get(f"{dash_duo.server_url}/login?next={quote(next_path)}")
    dash_duo.wait_for_element("#username", timeout=20)
    driver.find_element("css selector", "#username").send_keys(username)
    driver.find_element("css selector", "#password").send_keys(password)
    driver.find_element("css selector", "#login-submit").click()
    dash_duo.wait_for_element("#react-entry-point, #login-error", timeout=20)


def logout(dash_duo) -> None:
    dash_duo.find_element("#logout-button").click()
    dash_duo.wait_for_element("#login-form", timeout=20)


def visit(dash_duo, path: str, wait_for: str = ".page-title", timeout: int = 20):
    dash_duo.driver.get(dash_duo.server_url + path)
    dash_duo.wait_for_element(wait_for, timeout=timeout)
    wait_idle(dash_duo)


def wait_idle(dash_duo, timeout: int = 20):
    """Until no callback is pending and the page is not loading."""
    from dash.testing.wait import until
    until(lambda: dash_duo.driver.execute_script(
        "return !document.querySelector('[data-dash-is-loading=\"true\"]') && "
        "document.readyState === 'complete'"), timeout)


def screenshot(dash_duo, name: str, full_page: bool = True) -> Path:
    """Write the page (its full height) to test-artifacts/screenshots/<name>.png for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver = dash_duo.driver
    width, height = driver.get_window_size()["width"], driver.get_window_size()["height"]
    if full_page:
        page = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, min(max(page + 140, height), 6000))
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(width, height)
    return path


def non_local_requests(dash_duo) -> list[str]:
    """Every resource the page loaded whose host is not this server."""
    urls = dash_duo.driver.execute_script(
        "return [document.location.href].concat(performance.getEntriesByType('resource').map(e => e.name))")
    return [u for u in urls if urlparse(u).hostname not in LOCAL_HOSTS and not u.startswith(("data:", "blob:"))]


def downloaded(dash_duo, suffix: str, timeout: float = 20) -> Path:
    """The file the browser downloaded into the test's folder (a finished one, not a .crdownload)."""
    folder = Path(dash_duo.download_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [p for p in folder.glob(f"*{suffix}") if not p.name.endswith(".crdownload")]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} downloaded into {folder}")


def shequ(url: str, *args) -> str:
    """Run a `shequ` command on the database, as a city office does; its output."""
    from click.testing import CliRunner
    from dashboard.cli import cli
    result = CliRunner().invoke(cli, ["--db", url, *map(str, args)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def serve(tmp_path):
    """`shequ serve` over a database in a process of its own; its address."""
    started = []

    def run(url: str) -> str:
        port = free_port()
        env = {**os.environ, "SHEQU_DATABASE_URL": url, "SHEQU_SECRET_KEY": "browser-tests-served",
               "SHEQU_CACHE_DIR": str(tmp_path / f"cache{port}")}
        process = subprocess.Popen([sys.executable, "-c", "from dashboard.cli import main; main()", "serve",
                                    "--port", str(port), "--basis", "approved"], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append(process)
        address = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(address + "/health", timeout=2):
                    return address
            except OSError:
                time.sleep(0.3)
        raise AssertionError("shequ serve did not start")

    yield run
    for process in started:
        process.terminate()
        process.wait(timeout=20)


def use(dash_duo, address: str) -> None:
    """Point the browser fixture at a server it did not start (as conftest.start does, without opening "/")."""
    dash_duo._url = address
