"""Fixtures for the site's API and browser tests: a live `brcd serve` on a copy of the package
(see sitekit.py) and Playwright driving Debian's Chromium.

The `page` fixture aborts every request that would leave 127.0.0.1 and records it in
`outside_requests`, so a test can assert that none was attempted. Failed browser tests leave
screenshots in test-results/ (pytest-playwright's `--screenshot only-on-failure`, made the default).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest

from sitekit import LiveServer, free_port, make_site_package

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
CHROMIUM = "/usr/bin/chromium"


def pytest_configure(config):
    if getattr(config.option, "screenshot", None) == "off":
        config.option.screenshot = "only-on-failure"


@pytest.fixture(scope="session")
def site_package(tmp_path_factory) -> tuple[Path, dict]:
    dest = tmp_path_factory.mktemp("site") / "pkg"
    facts = make_site_package(dest)
    return dest, facts


@pytest.fixture(scope="session")
def live_server(site_package):
    server = LiveServer(site_package[0], free_port()).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def site_facts(site_package) -> dict:
    return site_package[1]


@pytest.fixture(scope="session")
def site_root(site_package) -> Path:
    return site_package[0]


# ---- Playwright --------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    return live_server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium fonts-liberation")
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync"]}


@pytest.fixture
def outside_requests() -> list[str]:
    """URLs the page tried to fetch from anywhere but 127.0.0.1 (each was aborted)."""
    return []


@pytest.fixture
def page(page, outside_requests):
    def route(route):
        host = urlparse(route.request.url).hostname
        if host in LOCAL_HOSTS:
            route.continue_()
        else:
            outside_requests.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    yield page
