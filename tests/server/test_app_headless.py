"""The app's page without a browser: Solara renders it into ipywidgets, which the tests
inspect and click (``solara.render``). Controls exist, Step advances the model, Reset
rebuilds it from the controls, a seed typed as text works, a bad value shows the model's
message in the page, and every page has its own model."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import ipyvuetify as v
import pytest
import solara

from model.model import PaxSilicaModel
from model.params import registry
from model.scenario import load_scenario, preset_names
from server import app, controls
from server.plot import PlotlyWidget
from server.replications import replicate


def render_page(monkeypatch, module, factory: str):
    """Render the page (inside the app layout, as the server does) with ``module.factory``
    (a per-session object's class) watched; return the render context and the one object
    the page made with it."""
    made: list = []
    real = getattr(module, factory)

    def make(*args, **kwargs):
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(module, factory, make)
    _, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    assert len(made) == 1
    return rc, made[0]


@pytest.fixture
def page(monkeypatch):
    """The page; yields the render context and the session's AppState."""
    rc, state = render_page(monkeypatch, app, "AppState")
    yield rc, state
    rc.close()


def by_class(rc, widget_class, css: str):
    """The one widget of ``widget_class`` whose CSS classes include ``css``."""
    found = [
        x
        for x in rc.find(widget_class).widgets
        if css in (getattr(x, "class_", None) or "").split()
        or css in getattr(x, "_dom_classes", ())
    ]
    assert len(found) == 1, f"expected one {widget_class.__name__} .{css}, got {len(found)}"
    return found[0]


def click(rc, css: str) -> None:
    by_class(rc, v.Btn, css).click()


def alerts(rc) -> list[str]:
    return [" ".join(str(c) for c in a.children) for a in rc.find(v.Alert).widgets]


def html(rc, css: str) -> str:
    """The inner HTML of the one ``solara.HTML`` element with CSS class ``css``."""
    found = [
        x
        for x in rc.find(solara.widgets.HTML).widgets
        if css in x.attributes.get("class", "").split()
    ]
    assert len(found) == 1, f"expected one HTML .{css}, got {len(found)}"
    return found[0].unsafe_innerHTML


def figure(rc, css: str) -> dict:
    """The figure the page sends the browser for chart ``css`` (server/plot.py)."""
    found = [x for x in rc.find(PlotlyWidget).widgets if x.chart == css]
    assert len(found) == 1, f"expected one chart .{css}, got {len(found)}"
    return json.loads(found[0].spec)


def steps_like(rc, m, ref) -> None:
    """The page's Step plus eight more quarters of its model give the same series as
    nine quarters of ``ref`` (the same run, built outside the page)."""
    click(rc, "pax-step")
    for _ in range(8):
        m.step()
    for _ in range(9):
        ref.step()
    assert m.datacollector.model_vars == ref.datacollector.model_vars


def test_controls_exist(page):
    rc, state = page
    select = by_class(rc, v.Select, "pax-scenario")
    assert select.items == preset_names() and select.v_model == "baseline"
    for name in controls.SLIDERS:  # ranges from the parameter registry
        spec = registry()[name]
        slider = by_class(rc, v.Slider, f"param-{name}")
        if controls.slider_kind(name) == "log":
            last = controls.log_positions(name)
            assert (slider.min, slider.max) == (0, last)
            assert controls.log_value(name, 0) == spec.min
            assert controls.log_value(name, last) == spec.max
            assert controls.log_position(name, spec.default) == slider.v_model
        else:
            assert (slider.min, slider.max) == (spec.min, spec.max)
            assert slider.v_model == spec.default
    for code in controls.EXPANSION:
        assert by_class(rc, v.Switch, f"pax-member-{code}").v_model is False
    assert by_class(rc, v.Switch, "pax-counter").v_model is False
    assert by_class(rc, v.TextField, "pax-seed").v_model == "0"
    for css in ("pax-reset", "pax-step", "pax-play", "pax-reps-run"):
        by_class(rc, v.Btn, css)
    for css in (
        "pax-chart-membership",
        "pax-chart-capital",
        "pax-chart-supply",
        "pax-chart-network",
        "pax-chart-map",
    ):
        fig = figure(rc, css)
        assert fig["data"] and fig["layout"]["title"]["text"], css
    assert rc.find(v.Html, class_="pax-info").widget is not None
    assert state.model.value.steps == 0


def test_step_advances_the_model_and_the_views(page):
    rc, state = page
    m = state.model.value
    before = {css: figure(rc, css) for css in ("pax-chart-membership", "pax-chart-capital")}
    for _ in range(2):
        click(rc, "pax-step")
    assert m.steps == 2 and state.model.value is m
    for css, fig in before.items():
        assert figure(rc, css) != fig, f"{css} did not change"
    # the membership chart's lines are the model's series, quarter by quarter
    lines = {t["name"]: t for t in figure(rc, "pax-chart-membership")["data"]}
    assert lines["members (signatories)"]["y"] == m.datacollector.model_vars["members"]
    assert lines["members (signatories)"]["x"] == [0, 1, 2]
    assert "(quarter 2 of 40)" in html(rc, "pax-status")
    # the event log shows the model's events, newest first (seed 0's first two come by
    # its third year: a truce, then a US reversal)
    while len(m.events) < 2 and m.steps < 16:
        click(rc, "pax-step")
    log = html(rc, "pax-event-log")
    assert len(m.events) >= 2, "seed 0 has two events by its fourth year"
    texts = [e.text.split(": ", 1)[1] for e in reversed(m.events)]
    positions = [log.index(t.replace("'", "&#x27;")) for t in texts]
    assert positions == sorted(positions)


def test_reset_rebuilds_the_model_with_the_controls(page):
    rc, state = page
    old = state.model.value
    by_class(rc, v.Slider, "param-pressure_intensity").v_model = 2.5
    by_class(rc, v.Slider, "param-n_investors").v_model = controls.log_position("n_investors", 200)
    by_class(rc, v.Switch, "pax-member-TWN").v_model = True
    by_class(rc, v.Switch, "pax-counter").v_model = True
    by_class(rc, v.TextField, "pax-seed").v_model = "7"
    assert any("press Reset" in a for a in alerts(rc)), "no notice of unapplied settings"
    assert state.model.value is old  # nothing applies before Reset
    click(rc, "pax-reset")
    m = state.model.value
    assert m is not old and m.steps == 0
    assert m.p["pressure_intensity"] == 2.5
    assert m.p["n_investors"] == 200
    assert m.p["counter_alliance"] is True
    assert "TWN" in m.member_ids()
    assert m.rng_seed == 7
    assert not any("press Reset" in a for a in alerts(rc))
    # the same run as the command line's scenario with the same --set list
    scen = load_scenario(
        "baseline",
        ["pressure_intensity=2.5", "n_investors=200", "add_members=TWN", "counter_alliance=true"],
    )
    steps_like(rc, m, PaxSilicaModel(scen, rng=7))


def test_scenario_picker_sets_the_controls_to_the_preset(page):
    rc, state = page
    by_class(rc, v.Select, "pax-scenario").v_model = "expansion"
    for code in controls.EXPANSION:
        assert by_class(rc, v.Switch, f"pax-member-{code}").v_model is True
    by_class(rc, v.Switch, "pax-member-CAN").v_model = False
    click(rc, "pax-reset")
    m = state.model.value
    assert m.scenario.name == "expansion"
    assert {"TWN", "NLD"} <= set(m.member_ids()) and "CAN" not in m.member_ids()


def test_a_seed_typed_as_text_works(page):
    rc, state = page
    by_class(rc, v.TextField, "pax-seed").v_model = " 42 "
    click(rc, "pax-reset")
    m = state.model.value
    assert m.rng_seed == 42
    steps_like(rc, m, PaxSilicaModel("baseline", rng=42))


BAD = [
    ("pax-seed", "abc", "model: seed: expected a whole number, got 'abc'"),
    ("pax-seed", "1.5", "model: seed: expected a whole number, got '1.5'"),
    ("pax-seed", "-5", "model: seed: expected a whole number of at least 0, got '-5'"),
    (
        "pax-extra",
        "pressure_intensity=9",
        "app settings: pressure_intensity: expected a number in [0, 5], got 9",
    ),
    ("pax-extra", "add_members=XYZ", "app settings: add_members: unknown country 'XYZ'"),
    ("pax-extra", "no_such_thing=1", "app settings: no_such_thing: unknown parameter"),
    ("pax-extra", "steps", "app settings: steps: expected key=value"),
    ("pax-extra", "remove_members=USA", "the leader (USA) must be a member"),
]


def test_a_bad_value_shows_the_models_message(page):
    rc, state = page
    old = state.model.value
    click(rc, "pax-step")
    for field, value, expected in BAD:
        by_class(rc, v.TextField, field).v_model = value
        click(rc, "pax-reset")  # must not raise
        shown = alerts(rc)
        assert any(expected in a for a in shown), (value, shown)
        assert state.model.value is old  # the run on screen is kept, and still runs
        by_class(rc, v.TextField, field).v_model = "0" if field == "pax-seed" else ""
    click(rc, "pax-step")
    assert old.steps == 2
    click(rc, "pax-reset")  # fixed values: the message goes, a new run starts
    assert not any("app settings" in a or "model:" in a for a in alerts(rc))
    assert state.model.value is not old and state.model.value.steps == 0


def test_two_pages_have_their_own_models(monkeypatch):
    states = []
    real = app.AppState
    monkeypatch.setattr(app, "AppState", lambda *a, **k: states.append(real(*a, **k)) or states[-1])
    _, rc1 = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    _, rc2 = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    try:
        a, b = states
        assert a.model.value is not b.model.value
        click(rc1, "pax-step")
        click(rc1, "pax-step")
        assert a.model.value.steps == 2 and b.model.value.steps == 0
        by_class(rc2, v.TextField, "pax-seed").v_model = "5"
        click(rc2, "pax-reset")
        assert b.model.value.rng_seed == 5 and a.model.value.rng_seed == 0
    finally:
        rc1.close()
        rc2.close()


def eventually(probe, timeout: float = 30.0):
    """``probe()``'s first truthy value; the page redraws from a background thread, so a
    look can fall between two widgets: AssertionError/LookupError mean 'not yet'."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            found = probe()
        except (AssertionError, LookupError):
            found = None
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {probe.__doc__ or probe}")


def compared(rc) -> dict:
    """The replications tab's charts as drawn: name -> figure (``.data``: its traces)."""
    out = {}
    for x in rc.find(PlotlyWidget).widgets:
        if x.chart.startswith("pax-compare-") and x.spec:
            traces = json.loads(x.spec)["data"]
            out[x.chart.removeprefix("pax-compare-")] = SimpleNamespace(
                data=[SimpleNamespace(**t) for t in traces]
            )
    return out


def wait_kept(rc, n: int, timeout: float = 60) -> list:
    """The charts of the replications tab once ``n`` results are kept (the survival chart
    then has ``n`` curves): [survival, members fan, credibility fan]."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        figs = compared(rc)
        done = "survival" in figs and len(figs["survival"].data) == n
        if done and not rc.find(v.ProgressLinear).widgets:  # and Run is enabled again
            return [figs["survival"], figs["members"], figs["credibility"]]
        time.sleep(0.2)
    figs = compared(rc)
    got = len(figs["survival"].data) if "survival" in figs else 0
    pytest.fail(f"the replications did not finish with {n} results kept ({got}): {alerts(rc)}")


def test_replications_panel_runs_in_the_background(page):
    rc, state = page
    by_class(rc, v.TextField, "pax-reps-n").v_model = "abc"
    click(rc, "pax-reps-run")
    assert any("Number of runs: expected a whole number" in a for a in alerts(rc))
    by_class(rc, v.TextField, "pax-reps-n").v_model = "4"
    click(rc, "pax-reps-run")
    survival, members, credibility = wait_kept(rc, 1)
    reps = replicate(controls.scenario_of(state.settings.value), 4)
    assert survival.data[0].y == pytest.approx(list(reps.survival()))
    summary = html(rc, "pax-reps-summary")
    assert f"Share collapsed: {reps.share_collapsed:.0%}" in summary
    assert f"({reps.n_collapsed} of 4 runs)" in summary
    # the fans: the median line of each kept result is the median across its runs
    assert credibility.data[-1].y == pytest.approx(list(reps.fan("credibility")[2]))


def test_replications_run_the_applied_settings_and_keep_each_result(page):
    """A moved control that Reset has not applied does not enter (a warning says so);
    each job is kept and the curves are labelled by what differs."""
    rc, state = page
    by_class(rc, v.TextField, "pax-reps-n").v_model = "3"
    click(rc, "pax-reps-run")
    wait_kept(rc, 1)
    by_class(rc, v.Slider, "param-pressure_intensity").v_model = 2.0
    assert state.settings.value != state.applied.value
    deadline = time.time() + 10
    while not any("settings applied by Reset" in a for a in alerts(rc)):
        assert time.time() < deadline, alerts(rc)
        time.sleep(0.1)
    click(rc, "pax-reps-run")  # not applied: the same settings again
    survival, *_ = wait_kept(rc, 2)
    names = [t.name for t in survival.data]
    assert names == ["same settings (#1) (3 runs)", "same settings (#2) (3 runs)"]
    assert list(survival.data[0].y) == list(survival.data[1].y)
    click(rc, "pax-reset")  # now applied: a third result, labelled by the change
    click(rc, "pax-reps-run")
    survival, *_ = wait_kept(rc, 3)
    assert survival.data[2].name.startswith("pressure_intensity=2")
    assert "pressure_intensity" not in survival.data[0].name
    click(rc, "pax-reps-clear")
    eventually(lambda: not compared(rc))  # the job's thread may be redrawing the page
    assert not compared(rc)  # nothing kept: no chart


def test_cancel_keeps_the_runs_so_far(page, monkeypatch):
    rc, state = page
    monkeypatch.setenv("PAX_MAX_REPLICATIONS", "100000")
    by_class(rc, v.TextField, "pax-reps-n").v_model = "100000"
    click(rc, "pax-reps-run")
    deadline = time.time() + 60
    while "runs done" not in str([t.children for t in rc.find(v.Html).widgets]):
        assert time.time() < deadline
        time.sleep(0.2)
    time.sleep(0.5)  # a few runs finished
    click(rc, "pax-reps-cancel")
    (survival, *_) = wait_kept(rc, 1)
    summary = html(rc, "pax-reps-summary")
    assert "cancelled:" in summary and "of 100000 runs" in summary
    n = int(summary.split("cancelled: ")[1].split(" of")[0])
    assert 0 < n < 100000
    assert survival.data[0].name.endswith(f"({n} runs)")


def test_the_runs_csv_holds_every_kept_run():
    import io

    import pandas as pd

    from server.replications_view import Kept, runs_csv

    s = controls.settings_for("baseline")
    scen = controls.scenario_of(s)
    a = Kept(replicate(scen, 3), s, False, "a")
    t = s.with_value("pressure_intensity", 2.0)
    b = Kept(replicate(controls.scenario_of(t), 2), t, False, "b")
    df = pd.read_csv(io.StringIO(runs_csv([a, b])))
    assert len(df) == 5 and df["seed"].tolist() == [0, 1, 2, 0, 1]
    assert df["command"].tolist() == ["a"] * 3 + ["b"] * 2
    assert df["result"].iloc[3].startswith("pressure_intensity=2")
    expected = [*a.reps.collapse_quarter, *b.reps.collapse_quarter]
    got = [None if pd.isna(q) else int(q) for q in df["collapse_quarter"]]
    assert got == expected
    assert df["final_credibility"].tolist() == [
        r.series[i][1][-1] for r in (a.reps, b.reps) for i in range(r.n)
    ]
