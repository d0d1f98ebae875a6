"""Lessons in the app (server/lessons_view.py): the Lessons tab lists every lesson; Load
resets the session's run to the lesson's scenario and seed, shows the Run tab with the
lesson's text beside the charts, and marks the lesson's key moments as the run is stepped,
the same moments, with the same narration, as ``pax-silica lesson``; Unload returns to a
free run; a lesson that cannot be loaded shows one message. Headless (``solara.render``),
and once in a real browser (Debian's Chromium, as in tests/server/test_app_browser.py)."""

from __future__ import annotations

import re
import time
from html import unescape

import ipyvuetify as v
import pytest
import solara

from model.lessons import LessonRun, all_lessons, find_lesson
from server import app, lessons_view
from tests.browser import ARTIFACTS, ROOT, Watch, drawn
from tests.server.test_app_browser import quarter
from tests.server.test_app_headless import alerts, by_class, click, html

LESSONS = all_lessons()
TAB_RUN, TAB_LESSONS = 0, 2


@solara.component
def NoChart(make, model, key, css: str):
    """The charts are tested in tests/server/test_app_headless.py; here they would only take time
    (matplotlib), so the headless page draws none."""
    solara.Image(b"", classes=["pax-chart", css])


@pytest.fixture
def page(monkeypatch):
    """The page rendered headless, as in tests/server/test_app_headless.py (charts not drawn):
    (render context, the session's AppState)."""
    monkeypatch.setattr(app, "Chart", NoChart)
    states: list[app.AppState] = []
    real = app.AppState
    monkeypatch.setattr(app, "AppState", lambda *a, **k: states.append(real(*a, **k)) or states[-1])
    _, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    yield rc, states[0]
    rc.close()


def tabs(rc):
    return rc.find(v.Tabs).widgets[0]


def panel_htmls(rc, css: str) -> list[str]:
    return [
        x.unsafe_innerHTML
        for x in rc.find(solara.widgets.HTML).widgets
        if css in x.attributes.get("class", "").split()
    ]


def lesson_text(rc) -> str:
    """The lesson panel's text, as HTML (empty when there is no panel)."""
    return "".join(panel_htmls(rc, "pax-lesson-text"))


def after_text(rc) -> str:
    """What to notice and the questions, as HTML (empty while they are hidden)."""
    return "".join(panel_htmls(rc, "pax-lesson-after"))


def current(rc) -> str:
    """The moment(s) of this quarter at the top of the panel (empty when none)."""
    return unescape("".join(panel_htmls(rc, "pax-moment-current-text")))


def marked(rc) -> list[str]:
    """The moments marked as happened: '2026 Q1 (quarter 1): narration...'."""
    (moments,) = panel_htmls(rc, "pax-lesson-moments")
    items = re.findall(
        r"<li class='pax-moment pax-moment-done[^']*'><b>&#10003; (.*?)</b>"
        r" \(quarter (\d+)\): (.*?)</li>",
        moments,
    )
    return [f"{when} (quarter {q}): {text}" for when, q, text in items]


def load(rc, name: str) -> None:
    tabs(rc).v_model = TAB_LESSONS
    click(rc, f"pax-lesson-load-{name}")


def test_the_lessons_tab_lists_every_lesson(page):
    rc, state = page
    items = panel_htmls(rc, "pax-lesson-item")
    assert len(items) == len(LESSONS) == 6
    for ls, item in zip(LESSONS, map(unescape, items), strict=True):
        assert f"Lesson {ls.order}: {ls.title}" in item
        assert f"docs/lessons/{ls.name}.toml" in item and f"seed {ls.seed}" in item
        assert lessons_view.summary(ls) and lessons_view.summary(ls)[:30] in item
        by_class(rc, v.Btn, f"pax-lesson-load-{ls.name}")
    assert not panel_htmls(rc, "pax-lesson-moments")  # no lesson loaded: a free run


@pytest.mark.parametrize("lesson", LESSONS, ids=[ls.name for ls in LESSONS])
def test_load_a_lesson_then_step_to_its_next_moment(page, lesson):
    rc, state = page
    old = state.model.value
    load(rc, lesson.name)
    assert tabs(rc).v_model == TAB_RUN, "Load did not switch to the Run tab"
    m = state.model.value
    assert m is not old and m.steps == 0 and m.rng_seed == lesson.seed
    assert m.scenario.name == lesson.scenario().name
    assert state.settings.value.scenario == f"docs/lessons/{lesson.name}.toml"
    assert state.applied.value == state.settings.value
    assert alerts(rc) == [f"Loaded: lesson {lesson.order}, {lesson.title}."]
    assert by_class(rc, v.Select, "pax-scenario").v_model == state.settings.value.scenario
    # the lesson's text beside the charts: the argument, the scenario, the app's own
    # steps; not the terminal's steps, nor the notes for authors
    text = lesson_text(rc)
    for heading in ("The paper", "The scenario", "In the app"):
        assert re.search(f"<h2[^>]*>{heading}", text), heading
    assert "What to do</h2>" not in text and "Key moments</h2>" not in text
    # what to notice and the questions give the results away: not before the run is over
    assert "What to notice" not in after_text(rc) + text
    assert "Questions for discussion" not in after_text(rc) + text
    assert panel_htmls(rc, "pax-lesson-after-hidden")
    # the same run, and so the same moments and narration, as `pax-silica lesson`
    ref = LessonRun(lesson)
    ref.run()
    shown = [
        f"{f.when} (quarter {f.quarter}): {' '.join(f.text.split())}"
        for f in sorted(ref.fired.values(), key=lambda f: (f.quarter, f.index))
    ]
    shown = [s.replace("'", "&#x27;") for s in shown]
    assert marked(rc) == shown[:1] and "(quarter 0)" in shown[0]
    nxt = min(f.quarter for f in ref.fired.values() if f.quarter > 0)
    with state.lock:  # all but the last quarter at once: the panel catches up
        for _ in range(nxt - 1):
            m.step()
    click(rc, "pax-step")
    assert m.steps == nxt
    expected = [s for s in shown if int(re.search(r"\(quarter (\d+)\)", s)[1]) <= nxt]
    assert len(expected) >= 2 and sorted(marked(rc)) == sorted(expected)
    assert f"(quarter {nxt} of " in html(rc, "pax-status")


def test_unload_returns_to_a_free_run_and_a_changed_run_is_said(page):
    rc, state = page
    load(rc, "credibility_capital")
    click(rc, "pax-step")
    assert len(marked(rc)) == 2
    by_class(rc, v.TextField, "pax-seed").v_model = "3"
    click(rc, "pax-reset")  # the lesson stays, on a run that is not the lesson's
    assert any("not the lesson's" in a for a in alerts(rc))
    assert state.model.value.rng_seed == 3 and marked(rc)[0].startswith("2025 Q4")
    m = state.model.value
    click(rc, "pax-lesson-unload")
    assert not panel_htmls(rc, "pax-lesson-moments") and not lesson_text(rc)
    assert state.model.value is m  # the run on screen goes on, free
    click(rc, "pax-step")
    assert m.steps == 1
    by_class(rc, v.Select, "pax-scenario").v_model = "baseline"  # back to a preset
    click(rc, "pax-reset")
    assert state.model.value.scenario.name == "baseline"


def moment_quarters(lesson) -> list[int]:
    """The quarters of the lesson's key moments after quarter 0, on its own run."""
    ref = LessonRun(lesson)
    ref.run()
    return sorted({f.quarter for f in ref.fired.values() if f.quarter > 0})


def wait_played(state, m, start: int, timeout: float = 60) -> None:
    """Until Play has run past quarter ``start`` and stopped (the play loop starts in its
    own thread, so right after the click it may not be playing yet)."""
    deadline = time.monotonic() + timeout
    while (state.playing.value or m.steps == start) and time.monotonic() < deadline:
        time.sleep(0.05)


def test_play_stops_at_each_key_moment_and_shows_it_first(page):
    rc, state = page
    lesson = find_lesson("defection_cascade")
    load(rc, lesson.name)
    m = state.model.value
    assert "Key moment 1 of" in current(rc)  # quarter 0's moment, at the top
    q, nxt = moment_quarters(lesson)[:2]
    assert q > 1  # Play runs quarters without a moment, then stops
    click(rc, "pax-play")
    wait_played(state, m, 0)
    assert not state.playing.value, "Play did not stop"
    assert m.steps == q, f"Play stopped at quarter {m.steps}, not at the key moment ({q})"
    shown = current(rc)
    assert f"(quarter {q})" in shown and "Play stopped here" in shown
    # Play again goes on to the next moment, and stops there
    click(rc, "pax-play")
    wait_played(state, m, q)
    assert m.steps == nxt and f"(quarter {nxt})" in current(rc)
    assert after_text(rc) == ""  # the run is not over: what to notice is still hidden


def test_what_to_notice_appears_when_the_run_is_over_or_when_asked(page):
    rc, state = page
    load(rc, "gulf_capital")
    assert after_text(rc) == ""
    click(rc, "pax-lesson-reveal")  # the teacher asks for it
    assert "What to notice" in after_text(rc)
    load(rc, "gulf_capital")  # a new load hides it again
    assert after_text(rc) == ""
    m = state.model.value
    with state.lock:  # all but the last quarter at once
        while m.steps < m.p["steps"] - 1:
            m.step()
    assert after_text(rc) == ""
    click(rc, "pax-step")  # the last quarter: the run is over
    text = after_text(rc)
    assert "What to notice" in text and "Questions for discussion" in text


COMMAND = re.compile(r"pax-silica|uv run|--[a-z]")


@pytest.mark.parametrize("lesson", LESSONS, ids=[ls.name for ls in LESSONS])
def test_no_web_lesson_text_is_a_terminal_command(lesson):
    """The app's lesson text (the panel before and after the run, the narration) has no
    terminal command; the terminal's steps stay in the same file for pax-silica lesson."""
    for text in lessons_view.web_texts(lesson):
        found = COMMAND.search(text)
        assert not found, f"{lesson.name}: {text[max(0, found.start() - 80) : found.end() + 40]!r}"
    assert "pax-silica" in lesson.section("What to do")  # the terminal's, kept
    assert lesson.section("In the app")  # the web's own steps


def test_the_lessons_tab_shows_no_terminal_command(page):
    rc, _ = page
    tabs(rc).v_model = TAB_LESSONS
    texts = panel_htmls(rc, "pax-lessons-intro") + panel_htmls(rc, "pax-lesson-item")
    assert len(texts) == 1 + len(LESSONS)
    assert not [t for t in texts if COMMAND.search(t)]
    load(rc, "counter_pressure")  # and the panel, before and after the run
    click(rc, "pax-lesson-reveal")
    shown = lesson_text(rc) + after_text(rc) + "".join(panel_htmls(rc, "pax-lesson-moments"))
    assert "What to notice" in shown and not COMMAND.search(shown)


GOOD = (ROOT / "docs" / "lessons" / "credibility_capital.md").read_text(encoding="utf-8")


def test_a_lesson_that_cannot_be_loaded_shows_one_message(tmp_path, monkeypatch):
    monkeypatch.setattr(app, "Chart", NoChart)
    (tmp_path / "ok.toml").write_text(
        'name = "ok"\ndescription = "Lesson 9: fine"\nextends = "baseline"\n'
    )
    (tmp_path / "bad.toml").write_text(
        'name = "bad"\ndescription = "x"\nextends = "baseline"'
        "\n[parameters]\npressure_intensity = 9\n"
    )
    fix = GOOD.replace('"credibility_capital.toml"', '"ok.toml"')
    (tmp_path / "a_broken.md").write_text("no front matter\n")
    (tmp_path / "b_bad_value.md").write_text(
        fix.replace('"ok.toml"', '"bad.toml"').replace("order = 2", "order = 1")
    )
    (tmp_path / "c_bad_name.md").write_text(
        fix.replace("order = 2", "order = 3").replace("at = 4", 'when = "no_such_reporter > 1"')
    )
    monkeypatch.setattr(lessons_view, "LESSON_DIR", tmp_path)
    _, rc2 = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    try:
        broken = [a for a in alerts(rc2) if "cannot be used" in a]
        assert len(broken) == 1 and "a_broken.md" in broken[0] and "front matter" in broken[0]
        for name, expected in (
            ("b_bad_value", "pressure_intensity: expected a number in"),
            ("c_bad_name", "unknown name 'no_such_reporter'"),
        ):
            click(rc2, f"pax-lesson-load-{name}")  # must not raise
            errors = [a for a in alerts(rc2) if "Could not load the lesson" in a]
            assert len(errors) == 1 and name in errors[0] and expected in errors[0], errors
            assert "Traceback" not in errors[0]
            assert not panel_htmls(rc2, "pax-lesson-moments")
    finally:
        rc2.close()


# ---------------------------------------------------------------------- browser -------
def test_load_a_lesson_in_the_browser(browser, app_url):
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    try:
        watch = Watch(context)
        page = context.new_page()
        page.goto(app_url, wait_until="commit")
        page.wait_for_selector(drawn("pax-chart-membership"), timeout=90_000)
        page.get_by_role("tab", name="Lessons").click()
        page.click(".pax-lesson-load-gulf_capital")
        panel = page.locator(".pax-lesson-panel")
        panel.get_by_role("heading", name="In the app").wait_for(timeout=30_000)
        text = panel.inner_text()
        assert "Lesson 6: Gulf capital against China's volume" in text
        assert "from US$40bn to US$80bn" in text  # not typeset as mathematics
        done = page.locator(".pax-moment-done")
        done.first.wait_for()
        assert done.count() == 1 and "2025 Q4" in done.first.inner_text()
        # beside the charts: to their right, side by side
        chart = page.locator(".pax-chart-membership").bounding_box()
        box = panel.bounding_box()
        assert box["x"] >= chart["x"] + chart["width"] and box["y"] < chart["y"] + 200
        assert quarter(page) == 0
        page.click(".pax-step")
        page.wait_for_function(
            "() => document.querySelectorAll('.pax-moment-done').length === 2", timeout=30_000
        )
        assert "2026 Q1" in done.nth(1).inner_text() and quarter(page) == 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "app_lesson.png"))
        page.click(".pax-lesson-unload")
        panel.wait_for(state="detached", timeout=30_000)
        watch.assert_clean()
    finally:
        context.close()


def in_view(page, css: str) -> bool:
    """Whether the element's top line is inside the window (not below the fold)."""
    return page.evaluate(
        """css => { const r = document.querySelector(css).getBoundingClientRect();
                    return r.top >= 0 && r.top + 20 <= window.innerHeight; }""",
        css,
    )


def play_to_a_stop(page, quarter_due: int, button: str = ".pax-play") -> None:
    """Press Play (``button``, clicked where it is: the page is not scrolled to it) and
    wait until Play has stopped by itself."""
    page.evaluate("css => document.querySelector(css).click()", button)
    page.wait_for_function(  # playing (the button in the controls says Pause) ...
        "() => /Pause/.test(document.querySelector('.pax-play').textContent)", timeout=30_000
    )
    page.wait_for_function(  # ... then stopped, at the quarter of the moment or later
        """q => /Play/.test(document.querySelector('.pax-play').textContent) &&
                 document.querySelector('.pax-status').textContent.includes(
                     'quarter ' + q + ' of')""",
        arg=quarter_due,
        timeout=120_000,
    )
    page.wait_for_timeout(1500)  # still there: Play stopped, it did not just pass by
    assert quarter(page) == quarter_due, f"Play went on past quarter {quarter_due}"


def test_play_stops_at_a_key_moment_in_view_in_the_browser(browser, app_url):
    """Under Play the lesson stops at its first key moment, shows it at the top of the
    lesson, in view (at 1440x900 and on a 390-pixel phone), and what to notice is not
    shown before the run is over."""
    lesson = find_lesson("defection_cascade")
    q, nxt = moment_quarters(lesson)[:2]
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        watch = Watch(context)
        page = context.new_page()
        page.goto(app_url, wait_until="commit")
        page.wait_for_selector(drawn("pax-chart-membership"), timeout=90_000)
        page.get_by_role("tab", name="Lessons").click()
        page.click(".pax-lesson-load-defection_cascade")
        panel = page.locator(".pax-lesson-panel")
        panel.get_by_role("heading", name="In the app").wait_for(timeout=30_000)
        notice = panel.get_by_role("heading", name="What to notice")
        assert notice.count() == 0 and page.locator(".pax-lesson-after").count() == 0
        assert "pax-silica" not in panel.inner_text()
        # looking at the bottom of the page (the event log), press Play in the controls
        page.mouse.move(700, 600)  # over the charts
        page.mouse.wheel(0, 5000)
        page.wait_for_timeout(500)
        assert not in_view(page, ".pax-lesson-moments")
        play_to_a_stop(page, q)
        now = page.locator(".pax-moment-current")
        assert f"(quarter {q})" in now.inner_text() and "Play stopped here" in now.inner_text()
        assert in_view(page, ".pax-moment-current")
        assert notice.count() == 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "app_lesson_moment.png"))
        # a phone: the lesson under the charts; the next moment is brought into view
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(500)
        page.evaluate("() => window.scrollTo(0, 0)")  # back at the charts
        page.wait_for_timeout(300)
        assert not in_view(page, ".pax-moment-current")
        play_to_a_stop(page, nxt, ".pax-lesson-play")  # the controls are folded away
        page.locator(".pax-moment-current", has_text=f"(quarter {nxt})").wait_for()
        page.wait_for_timeout(300)  # the scroll
        assert in_view(page, ".pax-moment-current"), "the moment is below the fold"
        page.screenshot(path=str(ARTIFACTS / "app_lesson_moment_phone.png"))
        watch.assert_clean()
    finally:
        context.close()


def test_a_lesson_without_its_own_web_steps_gets_the_default(tmp_path):
    """A lesson written before the "In the app" section (or elsewhere) still gets steps
    in the app's words, never its terminal commands."""
    text = GOOD.replace("## In the app", "## Other notes")
    cut = text.index("## Other notes")
    text = text[:cut] + text[text.index("## What to notice") :]
    (tmp_path / "credibility_capital.toml").write_text(
        (ROOT / "docs" / "lessons" / "credibility_capital.toml").read_text(encoding="utf-8")
    )
    path = tmp_path / "old.md"
    path.write_text(text, encoding="utf-8")
    from model.lessons import load_lesson

    lesson = load_lesson(path)
    shown = lessons_view.panel_markdown(lesson)
    assert lessons_view.DEFAULT_STEPS in shown and not COMMAND.search(shown)
    assert shown.index("## The scenario") < shown.index(lessons_view.DEFAULT_STEPS)
