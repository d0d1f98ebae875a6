"""Fixtures shared by the tests (browser helpers in tests/browser.py).

``catalogue_of_the_tests``: the session's own catalogue of studies (every test).
``browser``: one Chromium for the whole session (Playwright's sync API allows one at a
time in a process). ``app_url``: one ``pax-silica app`` server for the lessons, play and
classroom tests, with a short seat timeout so a closed tab frees its classroom seat fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    free_port,
    require_browser,
    start_server,
    stop_server,
    wait_serving,
)

# Fixtures of the tests that drive Chromium or an app server: under pytest-xdist (``-n``)
# these tests run in one worker, one after another (``--dist loadgroup``), so there is one
# Chromium and one app server at a time, as in a serial run, while the other workers take
# the rest of the suite.
BROWSER_FIXTURES = {"browser", "app_url", "servers"}

SEAT_TIMEOUT = "4"  # seconds without a heartbeat before a classroom seat goes to the rules


def pytest_collection_modifyitems(items):
    for item in items:
        if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="session", autouse=True)
def catalogue_of_the_tests(tmp_path_factory):
    """Every study a test writes (a sweep, calibration or report registers itself) goes to
    a catalogue of the test session's own, never the user's ``.pax-silica/`` one; the
    variable reaches the commands the tests start as subprocesses too."""
    before = os.environ.get("PAX_SILICA_CATALOGUE")
    path = tmp_path_factory.mktemp("catalogue") / "catalogue.sqlite"
    os.environ["PAX_SILICA_CATALOGUE"] = str(path)
    yield path
    if before is None:
        os.environ.pop("PAX_SILICA_CATALOGUE", None)
    else:
        os.environ["PAX_SILICA_CATALOGUE"] = before


@pytest.fixture(scope="session")
def browser():
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )  # a fresh profile folder of its own
        yield b
        b.close()


@pytest.fixture(scope="session")
def classroom_db(tmp_path_factory) -> Path:
    """The SQLite file the test app servers keep their classroom games in."""
    return tmp_path_factory.mktemp("classroom") / "classroom.sqlite"


def app_env(classroom_db: Path) -> dict:
    return {"PAX_SEAT_TIMEOUT": SEAT_TIMEOUT, "PAX_SILICA_CLASSROOM_DB": str(classroom_db)}


@pytest.fixture(scope="session")
def app_url(tmp_path_factory, classroom_db):
    """``pax-silica app`` on a free port of 127.0.0.1; its base URL (ends with "/")."""
    require_browser()
    from server.assets import ensure_assets

    ensure_assets()  # the app serves the cache; build it first if this machine has none
    port = free_port()
    log = tmp_path_factory.mktemp("app") / "app.log"
    proc = start_server(
        [str(Path(sys.executable).parent / "pax-silica"), "app", "--port", str(port)],
        port,
        log,
        env=app_env(classroom_db),
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_serving(proc, url, log)
        yield url
    finally:
        stop_server(proc)
