"""What a page may ask of the server (issue 16): scenarios by name only, every value
checked as the command line checks it, per-session limits on the work a page starts, a
closed page's session freed, and ``pax-silica app`` refusing to listen by accident."""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
import urllib.request
from pathlib import Path

import ipyvuetify as v
import pytest
import solara.server.settings
import solara.util

from experiments.cli import main as cli_main
from model.lessons import find_lesson
from model.scenario import ScenarioError, load_scenario, preset_names
from server import __main__ as server_main
from server import app, controls, limits, replications_view
from server.play_view import PlaySession
from tests.browser import drawn, free_port, start_server, stop_server, wait_serving
from tests.server.test_app_headless import alerts, by_class, click, render_page

ROOT = Path(__file__).resolve().parents[2]
# paths a client may send as the scenario: files outside the presets, and a lesson's text
PATHS = [
    "pyproject.toml",
    str(ROOT / "pyproject.toml"),
    "../pyproject.toml",
    "model/data/parameters.toml",
    str(ROOT / "model" / "data" / "scenarios" / "baseline.toml"),
    "docs/lessons/gulf_capital.md",
]


class NoChart:
    """Charts are not what these tests look at: skip drawing them (seconds each)."""

    def __new__(cls, *args, **kwargs):
        return None


@pytest.fixture
def page(monkeypatch):
    monkeypatch.setattr(app, "Chart", NoChart)
    rc, state = render_page(monkeypatch, app, "AppState")
    yield rc, state
    rc.close()


# ------------------------------------------------------------ scenarios by name only ----
@pytest.mark.parametrize("path", PATHS)
def test_a_path_sent_as_the_scenario_is_refused(page, path):
    rc, state = page
    before = state.settings.value
    by_class(rc, v.Select, "pax-scenario").v_model = path  # as the browser sends it
    shown = [a for a in alerts(rc) if "scenario" in a]
    assert len(shown) == 1 and "expected one of the presets" in shown[0], alerts(rc)
    assert state.settings.value == before  # nothing of the file was read into the page
    with pytest.raises(ScenarioError, match="expected one of the presets"):
        controls.scenario_of(controls.Settings(scenario=path))
    play = PlaySession()
    play.start("the United States", path, "0", "")
    assert "expected one of the presets" in play.error.value and play.game.value is None


def test_presets_and_lesson_scenarios_are_chosen_by_name():
    for name in preset_names():
        assert controls.load(name).name == load_scenario(name).name
    lesson = find_lesson("gulf_capital")
    ref = controls.lesson_scenario_ref(lesson)
    assert ref in controls.known_scenarios()
    assert controls.load(ref).description == lesson.scenario().description


# ------------------------------------------------------------ values from the page ------
@pytest.mark.parametrize(
    ("slider", "raw", "expected"),
    [
        ("param-pressure_intensity", 99.0, "pressure_intensity: expected a number in"),
        ("param-pressure_intensity", "lots", "pressure_intensity: expected a number in"),
        ("param-n_investors", 10**6, "n_investors: expected a whole number in"),  # off the slider
        ("param-n_investors", -3, "n_investors: expected a whole number in"),
    ],
)
def test_an_out_of_range_value_from_the_page_is_refused(page, slider, raw, expected):
    rc, state = page
    before = state.settings.value
    by_class(rc, v.Slider, slider).v_model = raw  # must not raise
    shown = [a for a in alerts(rc) if expected in a]
    assert len(shown) == 1, alerts(rc)
    assert state.settings.value == before


# ------------------------------------------------------------ per-session limits -------
def test_replications_beyond_the_limit_are_refused(page, monkeypatch):
    rc, _ = page
    monkeypatch.setenv("PAX_MAX_REPLICATIONS", "3")
    by_class(rc, v.TextField, "pax-reps-n").v_model = "4"
    click(rc, "pax-reps-run")
    shown = [a for a in alerts(rc) if "Number of runs" in a]
    assert len(shown) == 1 and "[1, 3]" in shown[0] and "PAX_MAX_REPLICATIONS" in shown[0]
    assert not [x for x in rc.find(v.ProgressLinear).widgets]  # nothing started


def test_investors_beyond_the_limit_are_refused(page, monkeypatch):
    rc, state = page
    monkeypatch.setenv("PAX_MAX_INVESTORS", "500")
    model = state.model.value
    # through the extra settings box (as --set) and Reset: refused, the run on screen kept
    by_class(rc, v.TextField, "pax-extra").v_model = "n_investors=800"
    click(rc, "pax-reset")
    shown = [a for a in alerts(rc) if "PAX_MAX_INVESTORS" in a]
    assert len(shown) == 1 and "n_investors: expected at most 500" in shown[0]
    assert state.model.value is model
    # the slider too
    by_class(rc, v.Slider, "param-n_investors").v_model = controls.log_position("n_investors", 1000)
    assert any("expected at most 500 investors" in a for a in alerts(rc))
    # and the replications, which build the same scenario
    by_class(rc, v.TextField, "pax-reps-n").v_model = "2"
    click(rc, "pax-reps-run")
    assert any("expected at most 500 investors" in a for a in alerts(rc))


def test_one_replications_job_at_a_time_per_page(page, monkeypatch):
    rc, _ = page
    monkeypatch.setenv("PAX_MAX_REPLICATIONS", "100000")
    by_class(rc, v.TextField, "pax-reps-n").v_model = "100000"
    click(rc, "pax-reps-run")
    try:
        assert [x for x in rc.find(v.ProgressLinear).widgets]  # the first job runs
        click(rc, "pax-reps-run")  # a client can send the click the disabled button hides
        shown = [a for a in alerts(rc) if "already running" in a]
        assert len(shown) == 1
    finally:
        [cancel] = [b for b in rc.find(v.Btn).widgets if "Cancel" in str(b.children)]
        cancel.click()


def test_a_malformed_limit_stops_the_server_before_it_starts(monkeypatch, capsys):
    monkeypatch.setenv("PAX_MAX_INVESTORS", "lots")
    assert server_main.main(["app", "--port", str(free_port())]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: PAX_MAX_INVESTORS: expected a whole number") and (
        err.count("\n") == 1
    )
    with pytest.raises(limits.LimitError):
        limits.current()


# ------------------------------------------------------------ a closed page -------------
def test_a_closed_page_lets_go_of_its_session(monkeypatch):
    """Closing the page (what Solara does when it culls a session) stops Play and drops
    the render context the session held."""
    monkeypatch.setattr(app, "Chart", NoChart)
    monkeypatch.setitem(app.PLAY_SPEEDS, "normal", 0.05)
    rc, state = render_page(monkeypatch, app, "AppState")
    click(rc, "pax-play")
    deadline = time.time() + 30
    while state.model.value.steps < 2 and time.time() < deadline:
        time.sleep(0.1)
    assert state.model.value.steps >= 2, "Play did not run"
    rc.close()
    assert state.playing.value is False and state.render_context is None
    time.sleep(1.0)  # a step under way ends
    steps = state.model.value.steps
    time.sleep(1.0)
    assert state.model.value.steps == steps  # the play loop has stopped


def test_a_closed_page_stops_its_replications(monkeypatch):
    """The runs a page started stop when it goes: nobody is left to see them."""
    monkeypatch.setattr(app, "Chart", NoChart)
    started, stopped = threading.Event(), threading.Event()

    def replicate(scenario, n, progress=None, stop=None, posterior=None):
        started.set()
        while not stop():
            time.sleep(0.05)
        stopped.set()
        raise RuntimeError("stopped")  # what the page would do with it no longer matters

    monkeypatch.setattr(replications_view, "replicate", replicate)
    rc, _ = render_page(monkeypatch, app, "AppState")
    try:
        by_class(rc, v.TextField, "pax-reps-n").v_model = "5"
        click(rc, "pax-reps-run")
        assert started.wait(10), "the job did not start"
        assert not stopped.wait(0.5)  # it runs while the page is open
    finally:
        rc.close()
    assert stopped.wait(10), "the job ran on after its page closed"


def test_the_server_frees_closed_pages_within_minutes(monkeypatch):
    # set when the app is imported (solara run server/app.py), and in the launch's environment
    assert solara.util.parse_timedelta(solara.server.settings.kernel.cull_timeout) <= 600
    monkeypatch.delenv("SOLARA_KERNEL_CULL_TIMEOUT", raising=False)
    assert server_main.server_env()["SOLARA_KERNEL_CULL_TIMEOUT"] == "2m"
    monkeypatch.setenv("SOLARA_KERNEL_CULL_TIMEOUT", "7s")  # the environment wins
    assert server_main.server_env()["SOLARA_KERNEL_CULL_TIMEOUT"] == "7s"


def test_the_server_is_launched_with_few_malloc_arenas(monkeypatch):
    """Memory freed by closed sessions goes back: with glibc's default (an arena per
    thread) the server grew 37% over 100 page loads; ``experiments/bench_app.py``."""
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert server_main.server_env()["MALLOC_ARENA_MAX"] == "2"
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")  # the environment wins
    assert server_main.server_env()["MALLOC_ARENA_MAX"] == "4"


def test_a_closed_browser_page_is_gone_within_the_timeout(browser, tmp_path):
    """The real server with a 3-second cull: a page that goes without saying so (its close
    beacon lost: a crashed tab, a dropped network, a laptop shut) leaves no session. A page
    that says so is closed at once whatever the timeout; the lost ones piled up."""
    port = free_port()
    log = tmp_path / "app.log"
    proc = start_server(
        [str(Path(sys.executable).parent / "pax-silica"), "app", "--port", str(port)],
        port,
        log,
        env={"SOLARA_KERNEL_CULL_TIMEOUT": "3s"},
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_serving(proc, url, log)
        context = browser.new_context()
        context.route("**/_solara/api/close/**", lambda route: route.abort())
        page = context.new_page()
        page.goto(url, wait_until="commit")
        page.wait_for_selector(drawn("pax-chart-membership"), timeout=90_000)
        assert kernels(url)["total"] == 1
        page.close()
        context.close()
        deadline = time.time() + 30
        while kernels(url)["total"] and time.time() < deadline:
            time.sleep(0.5)
        assert kernels(url)["total"] == 0, log.read_text()
    finally:
        stop_server(proc)


def kernels(url: str) -> dict:
    with urllib.request.urlopen(url + "resourcez", timeout=10) as r:
        return json.load(r)["kernels"]


# ------------------------------------------------------------ where the app listens -----
@pytest.mark.parametrize("host", ["", " ", "local host"])
def test_an_empty_or_malformed_host_is_one_error_line(host, capsys):
    with pytest.raises(SystemExit) as e:
        cli_main(["app", "--host", host])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: argument --host: expected an IP address or host name")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("", "error: --host: expected an IP address or host name, got an empty host"),
        ("no-such-host.invalid", "error: --host: cannot resolve 'no-such-host.invalid'"),
        ("192.0.2.1", "error: --host: '192.0.2.1' is not an address of this machine"),
    ],
)
def test_a_host_the_server_cannot_listen_on_is_one_error_line(host, expected, capsys):
    assert server_main.main(["app", "--host", host, "--port", str(free_port())]) == 2
    err = capsys.readouterr().err
    assert err.startswith(expected) and err.count("\n") == 1


def test_a_port_in_use_is_one_error_line(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert server_main.main(["app", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --port: port {port} on 127.0.0.1 is in use")
    assert err.count("\n") == 1


class Served(Exception):
    """Raised in place of becoming the Solara server."""


def test_serving_beyond_this_machine_warns_what_it_exposes(monkeypatch, tmp_path, capsys):
    def execve(path, cmd, env):
        raise Served(cmd, env)

    monkeypatch.setattr(server_main, "ensure_assets", lambda: tmp_path)
    monkeypatch.setattr(os, "execve", execve)
    monkeypatch.setattr(os, "chdir", lambda _: None)
    monkeypatch.delenv("SOLARA_KERNEL_CULL_TIMEOUT", raising=False)
    port = free_port()
    with pytest.raises(Served) as served:
        server_main.main(["app", "--host", "0.0.0.0", "--port", str(port)])
    err = capsys.readouterr().err
    assert err.startswith(f"warning: serving on 0.0.0.0:{port} opens the app")
    assert "every network interface" in err and "PAX_MAX_REPLICATIONS" in err
    cmd, env = served.value.args
    assert cmd[cmd.index("--host") + 1] == "0.0.0.0"
    assert env["SOLARA_KERNEL_CULL_TIMEOUT"] == "2m"
    with pytest.raises(Served):
        server_main.main(["app", "--host", "127.0.0.1", "--port", str(port)])
    assert "warning" not in capsys.readouterr().err  # this machine only: no warning


# ------------------------------------------------------------ Play and Pause ------------
def _wait_steps(state, n: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while state.model.value.steps < n and time.time() < deadline:
        time.sleep(0.02)


def test_pause_stops_at_once_and_play_resumes_after_a_stop(monkeypatch):
    """Pause: no quarter starts once it is pressed (the one being run ends first). Play
    pressed again right away runs on, even when the loop stopped on its own between two
    renders (the race of issue 14: the task keyed on `playing` saw no change)."""
    monkeypatch.setattr(app, "Chart", NoChart)
    rc, state = render_page(monkeypatch, app, "AppState")
    by_class(rc, v.BtnToggle, "pax-speed").v_model = list(app.PLAY_SPEEDS).index("fast")
    assert state.speed.value == "fast"
    click(rc, "pax-play")
    _wait_steps(state, 2)
    assert state.playing.value and state.model.value.steps >= 2, "Play did not run"
    click(rc, "pax-play")  # Pause
    paused_at = state.model.value.steps
    time.sleep(0.5)
    assert not state.playing.value and state.model.value.steps == paused_at
    # the loop stops itself (as at a key moment), then Play is pressed before a render
    state.pause()
    state.play()
    _wait_steps(state, paused_at + 2)
    assert state.model.value.steps >= paused_at + 2, "Play did not start again"
    state.pause()
    rc.close()
