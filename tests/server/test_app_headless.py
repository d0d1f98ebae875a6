"""The app's page without a browser: Solara renders it into ipywidgets, which the tests
inspect and click (``solara.render``). Controls exist, Step advances the model, Reset
rebuilds it from the controls, a seed typed as text works, a bad value shows the model's
message in the page, and every page has its own model."""

from __future__ import annotations

import json
import time

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


def test_replications_panel_runs_in_the_background(page):
    rc, state = page
    by_class(rc, v.TextField, "pax-reps-n").v_model = "abc"
    click(rc, "pax-reps-run")
    assert any("Number of runs: expected a whole number" in a for a in alerts(rc))
    by_class(rc, v.TextField, "pax-reps-n").v_model = "4"
    click(rc, "pax-reps-run")
    deadline = time.time() + 60
    while time.time() < deadline:
        found = [x for x in rc.find(PlotlyWidget).widgets if x.chart == "pax-chart-survival"]
        if found:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the replications did not finish")
    reps = replicate(controls.scenario_of(state.settings.value), 4)
    curve = json.loads(found[0].spec)["data"][0]
    assert curve["y"] == pytest.approx(list(reps.survival() * 100))
    summary = html(rc, "pax-reps-summary")
    assert f"Share collapsed: {reps.share_collapsed:.0%}" in summary
    assert f"({reps.n_collapsed} of 4 runs)" in summary
