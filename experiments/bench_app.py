"""App benchmarks in Debian's Chromium (Playwright): the server's memory over many page
loads (issue 16), and the time from a click on Step to the charts redrawn (issue 14).

    uv run python -m experiments.bench_app [--loads 100] [--cull 5s]
    uv run python -m experiments.bench_app --steps 30 [--width 1024 --height 768]

Both start the app (``python -m server app``, as ``pax-silica app`` does) on a free port of
127.0.0.1.

**Memory** (default): Solara's session clean-up set to ``--cull``, the page is opened and
closed ``--loads`` times, one after another, each until its first chart is drawn, its close
beacon dropped (see :func:`load_pages`). It prints the server process's resident memory
(RSS) after a warm-up of five loads and after all of them, each once the closed pages'
sessions are culled, and the number of sessions still alive (Solara's ``/resourcez``).
The issue's target: the second figure within 10% of the first.

**Step to redraw** (``--steps N``): one page at ``--width`` x ``--height`` (a projector's
1024x768 by default), its charts drawn, then Step clicked ``N`` times, one at a time. Each
time is from the click (``performance.now()`` in the page, as the click lands) to the last
chart the Step redrew on the screen: each chart records when the frame after its drawing
came (``window.paxDrawn``, server/plot.vue), and a Step counts as done once the membership
chart shows the new quarter, every other chart given a new figure is drawn or waits out
of the window, and no chart is still drawing (``window.paxBusy``). A chart out of the
window is not drawn at a Step but when it comes into view (``data-stale``), so the figure
is the charts in the window; the second figure is the price of that: a Step, then the
lowest chart that changed scrolled into view, timed from the scroll to that chart drawn.
So it covers the round trip to the server, the model's step, the page's render there, the
figures' JSON over the websocket and plotly.js drawing them. A run that ends is Reset (not
timed). It prints min / median / max in ms, the server's part (click to the first new
figure in the page) and plotly.js's own time per chart; the issue's target: a median of
at most 200 ms on a quiet machine. A benchmark, not a test: it takes minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

from experiments.app_cmd import app_command

CHROMIUM = "/usr/bin/chromium"
CHARTS = (
    "pax-chart-membership",
    "pax-chart-capital",
    "pax-chart-supply",
    "pax-chart-map",
    "pax-chart-network",
)
DRAWN_MEMBERSHIP = ".pax-chart-membership[data-drawn]:not([data-drawn=''])"
ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 5


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def sessions(url: str) -> dict:
    with urllib.request.urlopen(url + "resourcez", timeout=10) as r:
        return json.load(r)["kernels"]


def wait_culled(url: str, timeout: float) -> int:
    """Wait until no session is alive (or ``timeout`` seconds); the number left."""
    deadline = time.time() + timeout
    while (left := sessions(url)["total"]) and time.time() < deadline:
        time.sleep(1.0)
    time.sleep(2.0)  # the garbage collection Solara runs after a close
    return left


def load_pages(browser, url: str, n: int) -> None:
    """Open and close the page ``n`` times. The close beacon a page sends as it goes is
    dropped, as when a tab crashes or a laptop is shut: only the clean-up frees the session
    (a page that says it goes is freed at once whatever the timeout)."""
    for _ in range(n):
        context = browser.new_context()
        context.route("**/_solara/api/close/**", lambda route: route.abort())
        page = context.new_page()
        page.goto(url, wait_until="commit")
        page.wait_for_selector(DRAWN_MEMBERSHIP, timeout=120_000)
        page.close()
        context.close()


# the click's time, taken in the page as the click lands (capture phase: before Vue's own)
_CLICK_CLOCK = """() => document.addEventListener('click', (e) => {
    if (e.target.closest('.pax-step')) { window.paxClickAt = performance.now(); }
}, true)"""
# done: the membership chart shows a quarter drawn after the click, every other chart
# given a new figure since is drawn or waits out of the window (stale), and none is drawing
_STEP_DONE = """(before) => {
    const log = window.paxDrawn || {};
    const at = window.paxClickAt;
    const m = log['pax-chart-membership'];
    if (!(m && m.version !== before['pax-chart-membership'] && m.at > at)) return false;
    if (window.paxBusy) return false;
    return Object.entries(window.paxArrived || {}).filter(([c, t]) => t > at).every(
        ([c]) => (log[c] && log[c].at > at) ||
                 document.querySelector('.' + c).dataset.stale === 'yes');
}"""
_STEP_TIME = """() => {
    const at = window.paxClickAt;
    const drawn = Object.entries(window.paxDrawn).filter(([c, d]) => d.at > at);
    const times = drawn.map(([c, d]) => d.at);
    const seen = drawn.filter(([c, d]) => {
        const r = document.querySelector('.' + c).getBoundingClientRect();
        return r.bottom > 0 && r.top < window.innerHeight;
    }).map(([c, d]) => d.at);
    const came = Object.values(window.paxArrived || {}).filter((t) => t > at);
    const took = Object.fromEntries(drawn.map(([c, d]) => [c, d.took]));
    return [Math.max(...times) - at, times.length, Math.min(...came) - at,
            seen.length ? Math.max(...seen) - at : NaN, took];
}"""


def step(page) -> bool:
    """Click Step and wait until it is done; at the end of a run, Reset instead (untimed)
    and say so (False)."""
    status = page.inner_text(".pax-status")
    at_end = re.search(r"quarter (\d+) of (\d+)", status)
    if page.locator(".pax-step").is_disabled() or (at_end and at_end[1] == at_end[2]):
        page.click(".pax-reset")
        page.wait_for_function(
            "() => /quarter 0 of/.test(document.querySelector('.pax-status').innerText)"
        )
        page.wait_for_function("() => !window.paxBusy")
        page.wait_for_timeout(500)
        return False
    before = page.evaluate(
        "() => Object.fromEntries(Object.entries(window.paxDrawn).map(([k, v]) => [k, v.version]))"
    )
    page.click(".pax-step")
    page.wait_for_function(_STEP_DONE, arg=before, timeout=60_000, polling=5)
    return True


def step_times(page, n: int) -> list[tuple]:
    """Click Step ``n`` times; for each, (ms from the click to its last chart painted, how
    many charts were redrawn, ms from the click to the first new figure in the page: the
    server's part, ms to the last chart in the window painted, chart -> ms that
    plotly.js's drawing took). Reset (untimed) when the run is over."""
    page.evaluate(_CLICK_CLOCK)
    out = []
    while len(out) < n:
        if not step(page):
            continue
        out.append(tuple(page.evaluate(_STEP_TIME)))
        page.wait_for_timeout(150)  # a person's pause between clicks
    return out


_STALE = (
    "() => [...document.querySelectorAll('.pax-chart[data-stale=yes]')].map("
    "(e) => [...e.classList].find((c) => c.startsWith('pax-chart-')))"
)


def scroll_times(page, n: int) -> list[float]:
    """``n`` times: Step with the membership chart in view, then scroll the lowest chart
    that changed out of the window into view; ms from the scroll to that chart painted."""
    out = []
    tries = 0
    while len(out) < n and tries < 4 * n:
        tries += 1
        # back to the membership chart (the page scrolls inside Solara's layout, not the
        # window)
        page.evaluate("() => document.querySelector('.pax-chart-membership').scrollIntoView()")
        page.wait_for_timeout(300)
        if not step(page):
            continue
        stale = page.evaluate(_STALE)
        if not stale:
            continue
        chart = stale[-1]
        ms = page.evaluate(
            """(c) => new Promise((resolve) => {
                const t0 = performance.now();
                document.querySelector('.' + c).scrollIntoView();
                const poll = () => {
                    const d = (window.paxDrawn || {})[c];
                    if (d && d.at > t0 && !window.paxBusy) resolve(d.at - t0);
                    else setTimeout(poll, 5);
                };
                poll();
            })""",
            chart,
        )
        out.append(ms)
        page.wait_for_timeout(150)
    return out


def bench_steps(browser, url: str, n: int, width: int, height: int) -> int:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(url, wait_until="commit")
    for css in CHARTS:
        page.wait_for_selector(f".{css}[data-drawn]:not([data-drawn=''])", timeout=120_000)
    page.wait_for_function("() => !window.paxBusy")
    page.wait_for_timeout(1000)
    times = step_times(page, n)
    scrolls = scroll_times(page, max(5, n // 3))
    context.close()
    ms = np.array([t[0] for t in times])
    redrawn = [t[1] for t in times]
    came = np.array([t[2] for t in times])
    seen = np.array([t[3] for t in times])
    print(
        f"Step to redraw at {width}x{height}, {n} steps, every chart the step redrew: min "
        f"{ms.min():.0f} ms, median {np.median(ms):.0f} ms, max {ms.max():.0f} ms "
        f"(charts redrawn per step: {min(redrawn)}-{max(redrawn)}; "
        f"{(ms <= 200).mean():.0%} of steps within 200 ms)"
    )
    print(
        f"  the charts in the window: min {np.nanmin(seen):.0f} ms, median "
        f"{np.nanmedian(seen):.0f} ms, max {np.nanmax(seen):.0f} ms; click to the first new "
        f"figure in the page (server and websocket): median {np.median(came):.0f} ms"
    )
    if scrolls:
        sc = np.array(scrolls)
        print(
            f"  a chart that changed out of the window, scrolled into view, to drawn: "
            f"min {sc.min():.0f} ms, median {np.median(sc):.0f} ms, max {sc.max():.0f} ms "
            f"({len(sc)} scrolls)"
        )
    each = ", ".join(
        f"{c.removeprefix('pax-chart-')} {np.median(v):.0f} ms ({len(v)}x)"
        for c in CHARTS
        if (v := [t[4][c] for t in times if c in t[4]])
    )
    print(f"  plotly.js's own time (Plotly.react) for each chart, median: {each}")
    return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m experiments.bench_app", description=__doc__)
    ap.add_argument("--loads", type=int, default=100, help="page loads (default 100)")
    ap.add_argument("--cull", default="5s", help="SOLARA_KERNEL_CULL_TIMEOUT (default 5s)")
    ap.add_argument(
        "--steps", type=int, default=0, help="time N Steps to the charts redrawn instead"
    )
    ap.add_argument("--width", type=int, default=1024, help="page width for --steps")
    ap.add_argument("--height", type=int, default=768, help="page height for --steps")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright  # a dev dependency: only here

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "SOLARA_KERNEL_CULL_TIMEOUT": args.cull}
    log = tempfile.NamedTemporaryFile("w", suffix=".log", delete=False)
    proc = subprocess.Popen(
        app_command("127.0.0.1", port),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )  # the process becomes the server (exec): its pid is the server's
    try:
        deadline = time.time() + 180
        while True:
            try:
                urllib.request.urlopen(url, timeout=5).close()
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    print(f"the server did not start; see {log.name}", file=sys.stderr)
                    return 1
                time.sleep(0.5)
        cull_wait = 60.0 + 2 * _seconds(args.cull)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            if args.steps:
                return bench_steps(browser, url, args.steps, args.width, args.height)
            load_pages(browser, url, WARM_UP)
            left = wait_culled(url, cull_wait)
            before = rss_mb(proc.pid)
            print(f"after {WARM_UP} loads: RSS {before:.0f} MB, {left} sessions alive")
            t = time.perf_counter()
            load_pages(browser, url, args.loads)
            took = time.perf_counter() - t
            alive = sessions(url)["total"]
            left = wait_culled(url, cull_wait)
            after = rss_mb(proc.pid)
            browser.close()
        print(
            f"after {args.loads} more loads ({took:.0f} s; {alive} sessions alive at the end, "
            f"{left} after the cull): RSS {after:.0f} MB, {100 * (after / before - 1):+.1f}%"
        )
        return 0
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def _seconds(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    return float(text[:-1]) * units[text[-1]] if text[-1] in units else float(text)


if __name__ == "__main__":
    sys.exit(main())
