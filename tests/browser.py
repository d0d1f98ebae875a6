"""What the browser tests share: Debian's Chromium, app servers started on free ports of
127.0.0.1, and a watch on every request a browser context makes (outside hosts blocked).

Chromium missing: the browser tests skip with the reason, except under CI (``CI=true``),
where they fail. The fixtures (``browser``, ``app_url``) are in tests/conftest.py.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
LOCAL = {"127.0.0.1", "localhost"}


def drawn(css: str) -> str:
    """The selector of chart ``css`` once plotly.js has drawn it (server/plot.vue sets
    ``data-drawn`` to the version drawn)."""
    return f".{css}[data-drawn]:not([data-drawn=''])"


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT = 180  # seconds; importing Mesa, Solara and matplotlib is slow on small machines


def require_browser():
    ci = os.environ.get("CI", "").lower() == "true"
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found (Debian: apt-get install chromium; .ci/run installs it)"
        if ci:
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        msg = "the playwright package is missing (uv sync installs the dev group)"
        if ci:
            pytest.fail(msg)
        pytest.skip(msg)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    command: list[str], port: int, log: Path, env: dict | None = None
) -> subprocess.Popen:
    """Start an app server in a session of its own; ``env`` adds to the environment."""
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith("SOLARA_") and k != "PYTEST_CURRENT_TEST"
        },
        **(env or {}),
    }
    env["SOLARA_ASSETS_CDN"] = "http://127.0.0.1:9/npm/"  # a cache miss fails, locally
    with open(log, "w") as out:  # a session of its own: stopped as a group, nothing left
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop_server(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_serving(proc: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.time() + START_TIMEOUT
    while True:
        if proc.poll() is not None:
            pytest.fail(f"the app server exited ({proc.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.time() > deadline:
            pytest.fail(f"the app server did not answer in {START_TIMEOUT}s:\n{log.read_text()}")
        time.sleep(0.5)


class Watch:
    """Every request of a browser context: outside hosts are blocked and recorded,
    failures and error responses recorded."""

    def __init__(self, context):
        self.requests: list[str] = []
        self.outside: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        context.route("**/*", self._route)
        context.on("request", lambda r: self.requests.append(r.url))
        context.on("requestfailed", self._failed)
        context.on(
            "response",
            lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )

    def _failed(self, request):
        """A request that failed; not one the browser cancelled itself (net::ERR_ABORTED: a
        favicon still loading when the test moves the page on), which is no fault of the
        server. Requests to outside hosts are recorded apart (``outside``) either way."""
        if "ERR_ABORTED" not in (request.failure or ""):
            self.failed.append(f"{request.url} ({request.failure})")

    def _route(self, route):
        url = urlparse(route.request.url)
        if url.scheme in ("data", "blob") or url.hostname in LOCAL:
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def assert_clean(self):
        assert not self.outside, f"requests to outside hosts: {self.outside}"
        assert not self.failed, f"failed requests: {self.failed}"
        assert not self.errors, f"error responses: {self.errors}"


AXE = "axe-core@4.11.0"  # the accessibility checker, from the npm registry
SERIOUS = {"serious", "critical"}


def axe_script() -> Path:
    """axe-core's script, fetched once with ``npm pack`` into ``.test-assets/`` (a test
    tool, not one of the app's assets)."""
    from server.assets import build_assets

    target = ROOT / ".test-assets"
    script = target / AXE / "axe.min.js"
    if not script.is_file():
        build_assets(target=target, packages=[AXE], say=lambda _: None)
    return script


def _axe_findings(page) -> dict[str, str]:
    found = page.evaluate(
        """async () => (await axe.run()).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            where: v.nodes.slice(0, 3).map(n => n.target.join(" ")).join("; ")}))"""
    )
    return {
        v["id"]: f"{v['impact']} {v['id']}: {v['help']} ({v['where']})"
        for v in found
        if v["impact"] in SERIOUS
    }


def serious_violations(page, looks: int = 3) -> list[str]:
    """axe-core's serious and critical findings on ``page``, one line each: those it makes
    on each of ``looks`` looks a second and a half apart (a button caught mid-fade while
    Solara redraws is not a finding; one that stays is)."""
    page.add_script_tag(path=str(axe_script()))
    found = _axe_findings(page)
    for _ in range(looks - 1):
        if not found:
            break
        page.wait_for_timeout(1500)
        again = _axe_findings(page)
        found = {k: again[k] for k in found if k in again}  # by rule: where may move
    return sorted(found.values())
