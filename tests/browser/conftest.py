"""Real-browser fixtures: headless Chromium options, one dashboard over the sample data, screenshots."""
from __future__ import annotations

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


@pytest.fixture(scope="session")
def dashboard_app(sample_db_url):
    """One app for the session: page modules register their callbacks once per process."""
    from dashboard.app import create_app
    return create_app(sample_db_url)


@pytest.fixture
def dash(dash_duo, dashboard_app):
    dash_duo.start_server(dashboard_app)
    return dash_duo


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
