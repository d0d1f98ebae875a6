"""The app server's memory over many page loads (issue 16): does a closed page's session
come back?

    uv run python -m experiments.bench_app [--loads 100] [--cull 5s]

Starts the app (``python -m server app``, as ``pax-silica app`` does) on a free port of
127.0.0.1 with Solara's session clean-up set to ``--cull``, then opens and closes the page
``--loads`` times in Debian's Chromium (Playwright), one after another, each until its first
chart is drawn, its close beacon dropped (see :func:`load_pages`). It prints the server
process's resident memory (RSS) after a warm-up of five loads and after all of them, each
once the closed pages' sessions are culled, and the number of sessions still alive
(Solara's ``/resourcez``). The issue's target: the second figure within 10% of the first.
A benchmark, not a test: it takes minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from experiments.app_cmd import app_command

CHROMIUM = "/usr/bin/chromium"
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
        page.wait_for_selector("img.pax-chart-membership", timeout=120_000)
        page.close()
        context.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m experiments.bench_app", description=__doc__)
    ap.add_argument("--loads", type=int, default=100, help="page loads (default 100)")
    ap.add_argument("--cull", default="5s", help="SOLARA_KERNEL_CULL_TIMEOUT (default 5s)")
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
