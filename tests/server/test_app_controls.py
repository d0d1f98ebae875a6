"""Controls that explain themselves (issue 14, point 4): each slider shows its registry
description, unit and range; log-scale sliders move on a log scale and take typed values
checked against the range; settings not yet applied are marked and counted; the expansion
switches mean the same in every scenario; the Glossary tab defines every code the app
shows. Unit tests of server/controls.py and server/glossary.py, and the page headless."""

from __future__ import annotations

import math
import re
from html import unescape

import ipyvuetify as v
import pytest

from model.params import registry
from model.world import load_world
from server import app, controls, glossary
from tests.server.test_app_headless import alerts, by_class, html, render_page
from tests.server.test_app_lessons import NoChart

LOG_SLIDERS = [n for n in controls.SLIDERS if controls.slider_kind(n) == "log"]


def type_in(box, text: str) -> None:
    """Type ``text`` into a box and press Enter (the box takes it on Enter or on leaving)."""
    box.v_model = text
    box.fire_event("keyup.enter")


@pytest.fixture
def page(monkeypatch):
    monkeypatch.setattr(app, "Chart", NoChart)
    rc, state = render_page(monkeypatch, app, "AppState")
    yield rc, state
    rc.close()


# ----------------------------------------------------------------- control metadata ----
@pytest.mark.parametrize("name", list(controls.SLIDERS))
def test_every_slider_has_its_registry_description_unit_and_range(name):
    spec = registry()[name]
    meta = controls.slider_meta(name)
    assert (meta.doc, meta.unit, meta.min, meta.max) == (spec.doc, spec.unit, spec.min, spec.max)
    assert spec.doc and spec.unit  # the registry has them all
    assert spec.doc in meta.help and f"Unit: {spec.unit}." in meta.help
    assert f"Range {meta.fmt(spec.min)} to {meta.fmt(spec.max)} {spec.unit}" in meta.help


def test_the_page_shows_each_slider_s_help_under_it(page):
    rc, _ = page
    for name in controls.SLIDERS:
        shown = unescape(html(rc, f"pax-help-{name}"))
        assert shown == controls.slider_meta(name).help
        label = unescape(html(rc, f"pax-label-{name}"))
        assert controls.slider_meta(name).unit in label
    assert "participant" in unescape(html(rc, "pax-help-expansion"))


def test_the_wide_ranges_are_log_sliders():
    assert set(LOG_SLIDERS) == {"gulf_capital", "n_investors", "social_influence"}


@pytest.mark.parametrize("name", LOG_SLIDERS)
def test_a_log_slider_moves_on_a_log_scale_and_round_trips(name):
    meta = controls.slider_meta(name)
    last = controls.log_positions(name)
    values = [controls.log_value(name, p) for p in range(last + 1)]
    assert values[0] == meta.min and values[-1] == meta.max
    assert values == sorted(values)  # monotone
    # logarithmic: 20 positions are a factor of ten wherever you are (not a fixed step)
    for p in range(5, last - 20, 7):
        if values[p] >= 10:  # whole-number sliders lose the ratio at 1, 2, 3
            assert values[p + 20] / values[p] == pytest.approx(10, rel=0.1), (p, values[p])
    # one position from the default moves it by about 12%, not to 750x the default
    d = controls.log_position(name, meta.default)
    assert values[d] == pytest.approx(meta.default, rel=0.03)
    assert values[d + 1] / values[d] == pytest.approx(10 ** (1 / 20), rel=0.1)
    # round trip: every value the slider gives goes back to a position giving it
    for p, val in enumerate(values):
        assert controls.log_value(name, controls.log_position(name, val)) == val, p
    # and every value in range goes to a position whose value is within one step
    for x in (meta.default, float(meta.max) / 7, 3.3, 77.0):
        if float(meta.min) < x <= float(meta.max) and x >= 1:
            got = controls.log_value(name, controls.log_position(name, x))
            assert abs(math.log10(got / x)) <= 1 / 40 + 0.025, (x, got)


def test_the_gulf_slider_on_the_page_is_a_position_on_the_log_scale(page):
    rc, state = page
    slider = by_class(rc, v.Slider, "param-gulf_capital")
    assert slider.v_model == controls.log_position("gulf_capital", 40.0)
    slider.v_model = slider.v_model + 1  # one click to the right
    assert state.settings.value.value("gulf_capital") == pytest.approx(45.0)


# -------------------------------------------------------------------- typed values ----
@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("gulf_capital", "30000", 30000.0),
        ("gulf_capital", "30,000", 30000.0),
        ("gulf_capital", "0", 0.0),
        ("n_investors", "2500", 2500),
        ("social_influence", "7.25", 7.25),
        ("pressure_intensity", "2.5", 2.5),
    ],
)
def test_a_typed_value_in_range_is_taken(name, text, value):
    got = controls.typed_value(name, text)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("gulf_capital", "30000000"),
        ("gulf_capital", "-1"),
        ("gulf_capital", "lots"),
        ("n_investors", "0"),
        ("n_investors", "2.5"),
        ("social_influence", "1e9"),
        ("social_influence", "nan"),
    ],
)
def test_a_typed_value_out_of_range_is_refused_naming_the_parameter_and_range(name, text):
    meta = controls.slider_meta(name)
    with pytest.raises(controls.ScenarioError) as e:
        controls.typed_value(name, text)
    msg = str(e.value)
    assert f"{meta.label} ({name})" in msg
    assert f"{meta.fmt(meta.min)} to {meta.fmt(meta.max)} {meta.unit}" in msg


def test_the_page_refuses_a_typed_value_out_of_range_with_one_message(page):
    rc, state = page
    before = state.settings.value
    box = by_class(rc, v.TextField, "pax-typed-gulf_capital")
    assert box.v_model == "40"
    box.v_model = "300"  # typing: nothing taken before Enter
    assert state.settings.value == before
    type_in(box, "30000000")
    shown = [a for a in alerts(rc) if "gulf_capital" in a]
    assert len(shown) == 1, alerts(rc)
    assert "out of range" in shown[0] and "0 to 100,000 US$bn" in shown[0]
    assert state.settings.value == before
    type_in(box, "30000")  # a value in range: taken, the message goes
    assert state.settings.value.value("gulf_capital") == 30000.0
    assert not [a for a in alerts(rc) if "out of range" in a]
    assert by_class(rc, v.Slider, "param-gulf_capital").v_model == controls.log_position(
        "gulf_capital", 30000.0
    )


# ------------------------------------------------------------- settings not applied ----
def test_settings_not_yet_applied_are_marked_and_counted(page):
    rc, state = page
    assert not [a for a in alerts(rc) if "not applied" in a]
    assert "changed" not in html(rc, "pax-label-pressure_intensity")
    by_class(rc, v.Slider, "param-pressure_intensity").v_model = 2.5
    by_class(rc, v.Switch, "pax-member-TWN").v_model = True
    (notice,) = [a for a in alerts(rc) if "not applied" in a]
    assert "2 settings changed, not applied" in notice
    assert "Pressure intensity" in notice and "Taiwan signs" in notice
    assert html(rc, "pax-pending-count") == "2"
    assert "changed" in html(rc, "pax-label-pressure_intensity")
    assert "changed" not in html(rc, "pax-label-gulf_capital")
    assert "changed" in by_class(rc, v.Switch, "pax-member-TWN").label
    by_class(rc, v.Btn, "pax-reset").click()
    assert not [a for a in alerts(rc) if "not applied" in a]
    assert "changed" not in html(rc, "pax-label-pressure_intensity")


def test_pending_lists_each_changed_control():
    s = controls.settings_for("baseline")
    assert controls.pending(s, s) == []
    t = s.with_value("gulf_capital", 80.0).with_member("CAN", True)
    assert controls.pending(t, s) == ["Gulf capital", "Canada signs"]


# ----------------------------------------------------------- the expansion switches ----
@pytest.mark.parametrize("ref", list(controls.known_scenarios()))
def test_each_expansion_switch_means_the_same_in_every_scenario(ref):
    """On: a member from the start. Off: a participant (never left outside), whatever
    the scenario has."""
    base = controls.settings_for(ref)
    for code in controls.EXPANSION:
        locked = controls.switch_locked(ref, code)
        if locked:  # a scenario that invites the state: it cannot sign at the start
            assert "invites" in locked and code not in base.expansion
            with pytest.raises(controls.ScenarioError, match="already a member"):
                controls.scenario_of(base.with_member(code, True))
        for on in (False,) if locked else (True, False):
            scen = controls.scenario_of(base.with_member(code, on))
            if on:
                assert code in scen.members and code not in scen.participants, (ref, code)
            else:
                assert code not in scen.members and code in scen.participants, (ref, code)
    # and the scenario as it comes keeps the rest of its participants (the EU's choice)
    scen = controls.scenario_of(base)
    own = controls.load(ref)
    assert ("EUR" in scen.participants) == ("EUR" in own.participants)


# -------------------------------------------------------------------- the glossary ----
def test_the_glossary_defines_the_terms_the_issue_names():
    text = {e.term: e.text for e in glossary.terms()}
    for term in ("EDA", "ATP", "OSAT", "HBM", "EUV", "Credibility", "Units of pressure"):
        assert len(text[term]) > 30, term
    assert "participant" in text["Participant"].lower()


def test_the_glossary_tab_shows_every_code_and_phase_the_app_shows(page):
    rc, _ = page
    shown = unescape(html(rc, "pax-glossary"))
    defs: dict[str, list[str]] = {}
    for term, text in re.findall(r"<dt[^>]*>(.*?)</dt><dd>(.*?)</dd>", shown):
        defs.setdefault(term, []).append(text)
    for actor in load_world().actors:  # the codes on the charts and in the event log
        assert any(actor.name in t for t in defs.get(actor.id, [])), actor.id
    for ph in load_world().phases:  # the supply-chain chart's rows (EDA, ATP, ...)
        assert any(ph.name in t for t in defs.get(ph.short, [])), ph.short
    for e in glossary.terms():
        assert e.text in defs[e.term]
    for code in controls.EXPANSION:  # the switches' codes
        assert code in defs


# ------------------------------------------------------------------------ browser -----
def label_text(page, name: str) -> str:
    return page.inner_text(f".pax-label-{name}")


def wait_label(page, name: str, text: str) -> None:
    """Wait until the slider's label shows ``text`` (it is redrawn after each change)."""
    page.wait_for_function(
        """([css, text]) => { const el = document.querySelector(css);
                             return el !== null && el.innerText.includes(text); }""",
        arg=[f".pax-label-{name}", text],
        timeout=30_000,
    )


def test_the_controls_explain_themselves_in_the_browser(browser, app_url):
    """The help under each slider is on screen; a typed value out of range gets one
    message and changes nothing; one key press moves the Gulf slider by a step of the log
    scale (x1.12), not by a fixed amount; the glossary defines the codes; on a 390-pixel
    phone the help is readable in the folded-out controls."""
    from playwright.sync_api import expect

    from tests.browser import ARTIFACTS, Watch, drawn

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        watch = Watch(context)
        page = context.new_page()
        page.goto(app_url, wait_until="commit")
        page.wait_for_selector(drawn("pax-chart-membership"), timeout=90_000)
        for name in controls.SLIDERS:
            help_ = page.locator(f".pax-help-{name}")
            assert help_.is_visible() and controls.slider_meta(name).doc[:40] in help_.inner_text()
        assert "40 US$bn" in label_text(page, "gulf_capital")
        box = page.locator(".pax-typed-gulf_capital input")
        box.fill("30000000")
        box.press("Enter")
        err = page.locator(".pax-typed-error")
        err.wait_for(timeout=30_000)
        assert err.count() == 1
        assert "0 to 100,000 US$bn" in err.inner_text() and "gulf_capital" in err.inner_text()
        assert "40 US$bn" in label_text(page, "gulf_capital")
        box.fill("30000")
        box.press("Enter")
        wait_label(page, "gulf_capital", "30,000 US$bn")
        assert page.locator(".pax-typed-error").count() == 0
        assert "1 setting changed, not applied" in page.inner_text(".pax-pending")
        assert page.inner_text(".pax-pending-count") == "1"
        # the slider: one key press is one step of the log scale
        box.fill("40")
        box.press("Enter")
        wait_label(page, "gulf_capital", ": 40 US$bn")
        # (a redraw can hold the old slider and the new for a moment: wait for one)
        slider = page.locator(".param-gulf_capital [role=slider]")
        expect(slider).to_have_count(1, timeout=30_000)
        slider.focus()
        page.keyboard.press("ArrowRight")
        wait_label(page, "gulf_capital", ": 45 US$bn")
        page.get_by_role("tab", name="Glossary").click()
        gloss = page.locator(".pax-glossary")
        gloss.get_by_text("Electronic design automation: the software").wait_for()
        for code in ("TWN", "EUR", "ROW", "OSAT", "HBM", "Units of pressure", "Credibility"):
            assert gloss.locator("dt", has_text=code).count() >= 1, code
        # a phone: the controls fold out from the menu, their help readable within the width
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(500)
        page.locator(".v-app-bar__nav-icon").click()
        help_ = page.locator(".pax-help-gulf_capital")
        help_.wait_for(state="visible")
        page.wait_for_timeout(1000)  # the drawer slides in
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "app_controls_phone.png"))
        box_ = help_.bounding_box()
        assert box_["x"] >= 0 and box_["x"] + box_["width"] <= 390
        watch.assert_clean()
    finally:
        context.close()
