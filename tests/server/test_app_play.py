"""The app's Play tab (server/play_view.py) and its decision panel (server/seat_view.py).

Headless, as in test_app_headless.py: the page is rendered into ipywidgets, a game is
started as the US, the advisers' advice is taken each quarter through the panel's
buttons, and at the end the page shows the score, which must be the rule-based US's score
on the same seed (taking the advice every quarter *is* the rule-based run). A choice
outside the rules shows the rule's one message and keeps the form. Then once in a real
browser (Debian's Chromium via Playwright, as in test_app_browser.py): China for a short
game, advice clicked until the end, the score on the page.
"""

from __future__ import annotations

from html import unescape

import ipyvuetify as v
import pytest
import solara

from agents.policy import ChinaChoice
from model.model import PaxSilicaModel
from model.params import registry
from model.scenario import load_scenario
from model.score import score_of_model
from server import play_view
from server.classroom import Game
from server.seat_view import DecisionPanel
from tests.browser import ARTIFACTS, Watch
from tests.server.test_app_headless import alerts, by_class, eventually, html, render_page

QUARTERS = 3


@pytest.fixture
def page(monkeypatch):
    """The page, rendered headless; yields the render context and the Play tab's session."""
    rc, session = render_page(monkeypatch, play_view, "PlaySession")
    yield rc, session
    rc.close()
    game = session.game.value
    assert game is None or game.status in ("finished", "closed")


def start(rc, side: int = 0, seed: str = "0", quarters: str = str(QUARTERS)) -> None:
    by_class(rc, v.BtnToggle, "pax-play-side").v_model = side  # 0: the US, 1: China
    by_class(rc, v.TextField, "pax-play-seed").v_model = seed
    by_class(rc, v.TextField, "pax-play-quarters").v_model = quarters
    by_class(rc, v.Btn, "pax-play-start").click()


def turn_heading(rc) -> str:
    """The open turn's heading ('2026 Q1 (quarter 1): ... decides')."""
    return html(rc, "pax-seat-turn")


def test_taking_the_advice_to_the_end_scores_as_the_rule_based_us(page):
    rc, session = page
    start(rc)
    game = session.game.value
    assert game is not None and list(game.seats) == ["USA"]
    assert game.seats["USA"].holder == session.holder and game.seat_timeout is None
    for q in range(1, QUARTERS + 1):
        heading = eventually(lambda q=q: f"(quarter {q})" in turn_heading(rc) and turn_heading(rc))
        assert "United States" in heading
        view = html(rc, "pax-seat-view")
        assert "Credibility" in view and "bottleneck" in view and "Budgets" in view
        # the form starts at the advice: Submit with nothing changed is the advice
        click = "pax-seat-submit" if q % 2 else "pax-seat-advice"
        by_class(rc, v.Btn, click).click()
    score = eventually(lambda: html(rc, "pax-play-score"))
    ref = PaxSilicaModel(load_scenario("baseline", [f"steps={QUARTERS}"]), rng=0)
    ref.run()
    want = score_of_model(ref)["us"]
    assert f"Your score (US): <b>{want:.1f}</b>" in score
    assert f"the rule-based US on seed 0: <b>{want:.1f}</b>" in score
    assert "You did the same as the rule-based US on this seed (+0.0)." in score
    assert score_of_model(game.model)["us"] == pytest.approx(want)
    eventually(lambda: "Game over" in html(rc, "pax-play-report"))  # drawn after the score
    assert "pax-seat-over" in " ".join(
        x.attributes.get("class", "") for x in rc.find(solara.widgets.HTML).widgets
    )
    assert f"(quarter {QUARTERS} of {QUARTERS})" in html(rc, "pax-play-status")
    by_class(rc, v.Btn, "pax-play-quit").click()  # a new game: the start form again
    assert session.game.value is None and game.status == "closed"
    by_class(rc, v.Btn, "pax-play-start")


def test_a_refused_choice_shows_its_message_and_keeps_the_form(page):
    rc, session = page
    start(rc, quarters="2")
    eventually(lambda: "(quarter 1)" in turn_heading(rc))
    pays = by_class(rc, v.TextField, "pax-seat-payments")
    for typed, message in (
        ("JPN=100", "over the budget of US$1.50bn"),
        ("XYZ=1", "'XYZ' is not a member the US can pay"),
        ("JPN 1", "expected ID=AMOUNT items"),
    ):
        pays.v_model = typed
        by_class(rc, v.Btn, "pax-seat-submit").click()
        shown = eventually(lambda: seat_errors(rc))
        assert any(message in a for a in shown), shown
        assert by_class(rc, v.TextField, "pax-seat-payments").v_model == typed  # kept
        assert "(quarter 1)" in turn_heading(rc)
    by_class(rc, v.TextField, "pax-seat-invest").v_model = "USA:2=99"
    pays.v_model = ""
    by_class(rc, v.Btn, "pax-seat-submit").click()
    assert any("over the budget of US$2.50bn" in a for a in seat_errors(rc))
    by_class(rc, v.Btn, "pax-seat-advice").click()  # the advice is always accepted
    eventually(lambda: "(quarter 2)" in turn_heading(rc))
    assert not seat_errors(rc)
    session.quit()


def seat_errors(rc) -> list[str]:
    """The messages the decision panel shows (its .pax-seat-error alerts)."""
    return [
        " ".join(str(c) for c in x.children)
        for x in rc.find(v.Alert).widgets
        if "pax-seat-error" in (x.class_ or "").split()
    ]


def test_the_panel_for_china_a_pressurer_and_a_state():
    """DecisionPanel alone (as classroom mode uses it): China's sliders and controls cap,
    Russia's pressure, Japan's Stay/Leave; the panel redraws when ``version`` changes."""
    game = Game(
        "escalation",
        seed=0,
        seats=["CHN", "RUS", "JPN"],
        seat_timeout=None,
        params={"steps": 1},
        key="k",
    )
    for actor in game.seats:
        game.take(actor, f"tab-{actor}")
    version = solara.reactive(0)
    chosen = {}
    real_submit = game.submit

    def submit(holder, choice):
        real_submit(holder, choice)
        chosen[holder] = choice

    game.submit = submit

    @solara.component
    def Seats():
        for actor in game.seats:
            DecisionPanel(game, f"tab-{actor}", version.value)

    _, rc = solara.render(Seats(), handle_error=False)
    try:

        def follow(actor):
            assert game.wait_until(lambda g: g.turn_for(actor) is not None)
            version.value = game.version

        waiting = [
            x.unsafe_innerHTML
            for x in rc.find(solara.widgets.HTML).widgets
            if "pax-seat-waiting" in x.attributes.get("class", "").split()
        ]
        assert waiting == ["The game has not started yet."] * 3
        game.start("k")
        follow("CHN")
        controls = by_class(rc, v.Slider, "pax-seat-controls")
        assert controls.max == pytest.approx(0.15) and controls.v_model == pytest.approx(0.15)
        controls.v_model = 0.151  # the browser's rounding of the maximum: still the maximum
        # each lever says what it is, its unit and this quarter's range (parameters.toml)
        helps = " ".join(
            x.unsafe_innerHTML
            for x in rc.find(solara.widgets.HTML).widgets
            if "pax-help" in x.attributes.get("class", "").split()
        )
        assert registry()["control_stringency"].doc[:40] in unescape(helps)
        assert "Unit: share of exports withheld. Range 0 to 0.15 this quarter" in unescape(helps)
        assert registry()["inducement_share"].doc in unescape(helps)
        by_class(rc, v.Slider, "pax-seat-inducement").v_model = 0.5
        by_class(rc, v.TextField, "pax-seat-pressure").v_model = "KOR=2"
        by_class(rc, v.Btn, "pax-seat-submit").click()
        assert any("2 units is over the 1.25 allowed per target" in a for a in seat_errors(rc))
        by_class(rc, v.TextField, "pax-seat-pressure").v_model = "KOR=1.25, JPN=1"
        by_class(rc, v.Btn, "pax-seat-submit").click()
        assert chosen["tab-CHN"] == ChinaChoice(
            pressure={"KOR": 1.25, "JPN": 1.0}, inducement_share=0.5, controls=0.15
        )
        follow("RUS")
        by_class(rc, v.TextField, "pax-seat-pressure").v_model = "USA=1"
        by_class(rc, v.Btn, "pax-seat-submit").click()
        assert any("'USA' is not a member Russia can target" in a for a in seat_errors(rc))
        by_class(rc, v.Btn, "pax-seat-advice").click()
        follow("JPN")
        view = html(rc, "pax-seat-view")
        assert "Grievance" in view and "breaking point" in view and "pressure received" in view
        by_class(rc, v.Btn, "pax-seat-stay")
        by_class(rc, v.Btn, "pax-seat-leave").click()
        assert chosen["tab-JPN"].action == "leave"
        assert game.wait_until(lambda g: g.status == "finished")
        version.value = game.version
        assert game.model.by_id["JPN"].status == "defected"
        over = [
            x.unsafe_innerHTML
            for x in rc.find(solara.widgets.HTML).widgets
            if "pax-seat-over" in x.attributes.get("class", "").split()
        ]
        assert over == ["The game is over."] * 3
    finally:
        rc.close()
        game.close("k")


def test_a_bad_seed_is_one_message_and_no_game(page):
    rc, session = page
    start(rc, seed="abc")
    assert any("seed: expected a whole number, got 'abc'" in a for a in alerts(rc))
    assert session.game.value is None
    start(rc, quarters="0")
    assert any("steps" in a for a in alerts(rc)) and session.game.value is None


# ------------------------------------------------------------------ in a browser ------
def test_play_china_in_the_browser_to_the_score(browser, app_url):
    context = browser.new_context(viewport={"width": 1500, "height": 1200})
    watch = Watch(context)
    page = context.new_page()
    try:
        page.goto(app_url)
        page.get_by_role("tab", name="Play").click(timeout=90_000)
        page.locator(".pax-play-side button", has_text="China").click()
        page.locator(".pax-play-seed input").fill("2")
        page.locator(".pax-play-quarters input").fill(str(QUARTERS))
        page.locator(".pax-play-start").click()
        for q in range(1, QUARTERS + 1):
            page.locator(".pax-seat-turn", has_text=f"(quarter {q})").wait_for(timeout=60_000)
            assert "China" in page.inner_text(".pax-seat-turn")
            assert "Budget" in page.inner_text(".pax-seat-view")
            page.locator(".pax-seat-advice").click()
        page.locator(".pax-play-score").wait_for(timeout=60_000)
        ref = PaxSilicaModel(load_scenario("baseline", [f"steps={QUARTERS}"]), rng=2)
        ref.run()
        want = score_of_model(ref)["china"]
        text = page.inner_text(".pax-play-score")
        assert f"Your score (China): {want:.1f}" in text, text
        assert "You did the same as the rule-based China on this seed" in text
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "app_play_china.png"), full_page=True)
        watch.assert_clean()
    finally:
        context.close()
