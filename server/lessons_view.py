"""The app's lessons: the Lessons tab and the lesson panel beside the charts.

The Lessons tab lists every lesson of ``docs/lessons/`` (:mod:`model.lessons`).
**Load** sets the controls to the lesson's scenario and seed and resets the session's
model through the page's own Reset (:meth:`server.app.AppState.reset`, so through
:mod:`server.controls` and the model's scenario loader), then shows the Run tab with the
lesson's text in a panel beside the charts. As the run is stepped or played, the panel
marks the lesson's key moments that have happened: a :class:`model.lessons.LessonRun`
watches the model on screen (``catch_up()`` after each quarter), so the app marks exactly
the moments ``pax-silica lesson`` narrates. **Unload lesson** removes the panel; the run on
screen and the controls stay as they are (a free run).

Nothing here imports :mod:`server.app` (the page passes in what it needs).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from pathlib import Path

import ipyvuetify as v
import markdown
import solara
import traitlets

from model.lessons import (
    LESSON_DIR,
    Fired,
    Lesson,
    LessonError,
    LessonRun,
    all_lessons,
    lesson_files,
    load_lesson,
)
from model.scenario import ScenarioError
from server import controls

log = logging.getLogger("pax_silica.app")
LESSON_DIR = LESSON_DIR  # the folder listed (tests point it elsewhere)
# The sections of a lesson file the panel leaves out: the terminal's steps ("What to do",
# for `pax-silica lesson`; the panel shows "In the app" instead) and the notes for
# lesson authors ("Key moments", about the front matter).
HIDDEN_SECTIONS = ("what to do", "key moments")
WEB_STEPS = "in the app"  # the web's own wording of the steps, in the same file
# Shown only once the run is over (or the reader asks): they give the results away.
AFTER_SECTIONS = ("what to notice", "questions for discussion")
DEFAULT_STEPS = (
    "## In the app\n\nPress **Play**: the run stops at each key moment. Read it, look at "
    "the charts, and press **Play** again to go on."
)

CSS = """
.pax-moment-current { background: #fff6cc; border-left: 4px solid #e0a800;
                      border-radius: 4px; padding: 6px 8px; margin: 6px 0 10px 0;
                      scroll-margin-top: 80px; }
.pax-moment-current .pax-moment-head { font-weight: bold; margin-bottom: 2px; }
.pax-lesson-after-hidden { color: #555; font-size: 0.88em; font-style: italic; }
@media (max-width: 760px) {  /* a phone: the lesson under the charts, full width */
  .pax-beside-run { flex-wrap: wrap !important; }
  .pax-beside-run > .col { flex-basis: 100% !important; max-width: 100%; }
}
.pax-lesson-moments ol { padding-left: 0; list-style: none; }
.pax-moment { margin: 0 0 8px 0; font-size: 0.88em; }
.pax-moment-done { color: #111; }
.pax-moment-now { background: #fff6cc; border-radius: 4px; padding: 2px 4px; }
.pax-moment-pending, .pax-moment-missed { color: #595959; }
.pax-lesson-panel .v-card__title { word-break: normal; }
.pax-lesson-text { font-size: 0.9em; }
.pax-lesson-text h2 { font-size: 1.1em; margin: 14px 0 6px 0; }
.pax-lesson-text blockquote { border-left: 3px solid #ccc; padding-left: 8px; color: #444; }
.pax-lesson-text code { font-size: 0.9em; }
.pax-lesson-text ol, .pax-lesson-text ul { margin-bottom: 8px; }
"""


scenario_ref = controls.lesson_scenario_ref  # a preset name, or the file's path


def summary(lesson: Lesson) -> str:
    """One line: the description of the lesson's scenario (without its "Lesson N:")."""
    try:
        text = lesson.scenario().description
    except Exception:  # a scenario that does not load: Load says why
        return ""
    head, sep, rest = text.partition(": ")
    if sep and head.lower().startswith("lesson"):
        text = rest[:1].upper() + rest[1:]
    return text


def _sections(lesson: Lesson) -> list[tuple[str, str]]:
    """The lesson's Markdown as (heading in lower case, text with its heading), the text
    before the first ``##`` heading under "" (the title line dropped: the panel's heading
    shows it)."""
    out: list[tuple[str, list[str]]] = [("", [])]
    for line in lesson.body.splitlines():
        if line.startswith("# "):
            continue
        if line.startswith("## "):
            out.append((line[3:].strip().lower(), []))
        out[-1][1].append(line)
    return [(h, "\n".join(lines).strip()) for h, lines in out]


def panel_markdown(lesson: Lesson, after: bool = False) -> str:
    """The lesson's text for the panel: without its title, the terminal's steps and the
    notes for authors, with the steps for the app ("In the app"; a short default for a
    lesson without them). ``after``: only the sections that give the results away (what
    to notice, questions), shown once the run is over; else only the others."""
    sections = _sections(lesson)
    has_steps = any(h.startswith(WEB_STEPS) for h, _ in sections)
    parts = []
    for heading, text in sections:
        if heading.startswith(HIDDEN_SECTIONS) or not text:
            continue
        if heading.startswith(AFTER_SECTIONS) == after:
            parts.append(text)
        if not after and not has_steps and heading.startswith("the scenario"):
            parts.append(DEFAULT_STEPS)  # the steps after the scenario, as in the lessons
            has_steps = True
    if not after and not has_steps:
        parts.append(DEFAULT_STEPS)
    return "\n\n".join(parts).strip()


def _html(text: str) -> str:
    return markdown.markdown(text, extensions=["tables"])


def panel_html(lesson: Lesson) -> str:
    """:func:`panel_markdown` as HTML. Rendered here rather than with ``solara.Markdown``,
    whose page script typesets ``$...$`` as mathematics ("US$40bn to US$80bn")."""
    return _html(panel_markdown(lesson))


def after_html(lesson: Lesson) -> str:
    """What to notice and the questions, as HTML (shown once the run is over)."""
    return _html(panel_markdown(lesson, after=True))


def web_texts(lesson: Lesson) -> list[str]:
    """Every text of the lesson the app can show (for the test that none is a terminal
    command): the panel's text before and after the run, and the moments' narration."""
    return [panel_markdown(lesson), panel_markdown(lesson, after=True)] + [
        m.say for m in lesson.moments
    ]


def list_lessons(folder: Path | None = None) -> tuple[list[Lesson], list[str]]:
    """Every lesson that loads, in order, and one message per lesson file that does not."""
    folder = folder or LESSON_DIR
    try:
        return all_lessons(folder), []
    except LessonError:
        good, bad = [], []
        for p in lesson_files(folder):
            try:
                good.append(load_lesson(p))
            except LessonError as e:
                bad.append(str(e))
        return sorted(good, key=lambda ls: ls.order), bad


class LessonSession:
    """The lesson of one browser session (made once per :class:`AppState`)."""

    def __init__(self, state):
        self.state = state
        self.lesson = solara.reactive(None)  # the Lesson loaded, or None: a free run
        self.settings = solara.reactive(None)  # the controls as the lesson set them
        self.message = solara.reactive(None)  # why the last Load failed
        self.reveal = solara.reactive(False)  # what to notice shown before the run is over
        self.run: LessonRun | None = None  # watches the model on screen

    def load(self, path: Path) -> bool:
        """Load the lesson file at ``path``: reset the model to its scenario and seed. On
        failure, one message and no lesson; the run on screen is kept unless the failure
        came after the reset (moments that do not fit the model)."""
        state = self.state
        self.message.value = None
        name = Path(path).stem
        try:
            lesson = load_lesson(path)  # read again: the file may have changed
            ref = controls.allow_lesson(lesson)  # a lesson the server listed, not the page
            settings = controls.settings_for(ref, seed=str(lesson.seed))
        except (LessonError, ScenarioError) as e:
            self.message.value = f"Could not load the lesson {name!r}: {e}"
            return False
        except Exception as e:  # anything else: a message, never a traceback
            log.exception("loading lesson %s failed", name)
            self.message.value = f"Could not load the lesson {name!r}: {e}"
            return False
        before = state.settings.value
        state.settings.value = settings
        if not state.reset():  # Reset refused the settings: keep the run on screen
            why = state.error.value
            state.settings.value = before
            state.error.value = None
            self.message.value = f"Could not load the lesson {name!r}: {why}"
            return False
        try:
            with state.lock:
                run = LessonRun(lesson, model=state.model.value)
                run.catch_up()
        except LessonError as e:  # the run on screen is the lesson's, without it
            self.unload()
            self.message.value = f"Could not load the lesson {name!r}: {e}"
            return False
        self.run = run
        self.reveal.value = False
        self.settings.value = settings
        self.lesson.value = lesson
        return True

    def unload(self) -> None:
        self.lesson.value = None
        self.settings.value = None
        self.run = None
        self.message.value = None
        self.reveal.value = False

    def stops_here(self, model) -> list[Fired]:
        """The lesson's key moments due at ``model``'s current quarter (Play stops there;
        empty with no lesson loaded, or when its moments cannot be followed)."""
        run, _ = self.follow(model)
        if run is None:
            return []
        return now_moments(run)

    def follow(self, model) -> tuple[LessonRun | None, str | None]:
        """The lesson's moments on ``model`` (the model on screen) up to its current
        quarter: (the LessonRun, None), or (None, why they cannot be followed)."""
        lesson = self.lesson.value
        if lesson is None:
            return None, None
        with self.state.lock:  # not while a quarter is being run
            try:
                if self.run is None or self.run.model is not model or self.run.lesson is not lesson:
                    self.run = None
                    self.run = LessonRun(lesson, model=model)
                self.run.catch_up()
            except LessonError as e:
                return None, str(e)
        return self.run, None


def now_moments(run: LessonRun) -> list[Fired]:
    """The moments that happened at the run's current quarter, in the lesson's order."""
    return sorted(
        (f for f in run.fired.values() if f.quarter == run.quarter), key=lambda f: f.index
    )


def session(state) -> LessonSession:
    """The lesson session of this page's state (one per browser session)."""
    sess = getattr(state, "_lesson_session", None)
    if sess is None:
        sess = state._lesson_session = LessonSession(state)
    return sess


def moments_html(run: LessonRun) -> str:
    """The lesson's key moments, in the lesson's order: happened (marked, with the
    narration filled in from the run), still to come, or missed once the run is over."""
    rows = []
    total = len(run.lesson.moments)
    for i, mo in enumerate(run.lesson.moments):
        f = run.fired.get(i)
        if f is not None:
            now = " pax-moment-now" if f.quarter == run.quarter else ""
            text = html.escape(" ".join(f.text.split()))
            note = (
                ""
                if f.check_ok is not False
                else f" <i>(The lesson's check, <code>{html.escape(mo.check or '')}</code>, "
                "does not hold in this run.)</i>"
            )
            rows.append(
                f"<li class='pax-moment pax-moment-done{now}'><b>&#10003; {f.when}"
                f"</b> (quarter {f.quarter}): {text}{note}</li>"
            )
        elif run.done:
            rows.append(
                f"<li class='pax-moment pax-moment-missed'>&#10007; Key moment "
                f"{i + 1} ({html.escape(mo.describe())}) did not happen in this "
                "run.</li>"
            )
        else:
            # when: the quarter for a moment at a fixed quarter; an event or a condition
            # is not named before it happens (it would give the result away)
            when = mo.describe() if mo.at is not None else "still to come"
            rows.append(
                f"<li class='pax-moment pax-moment-pending'>&#9675; Key moment "
                f"{i + 1}: {html.escape(when)}</li>"
            )
    head = (
        f"<b>Key moments: {len(run.fired)} of {total} so far</b> (press Play: the run "
        "stops at each one)"
    )
    return f"<div>{head}<ol>{''.join(rows)}</ol></div>"


def current_html(run: LessonRun, fired: list[Fired]) -> str:
    """The moments of this quarter, at the top of the panel (where Play stopped)."""
    total = len(run.lesson.moments)
    items = []
    for f in fired:
        items.append(
            f"<div class='pax-moment-head'>Key moment {f.index + 1} of {total} &middot; "
            f"{html.escape(f.when)} (quarter {f.quarter})</div>"
            f"<div>{html.escape(' '.join(f.text.split()))}</div>"
        )
    more = (
        "The run is over."
        if run.done
        else "Play stopped here: press <b>Play</b> (or <b>Play on</b>) to go on, or <b>Step</b>."
    )
    return "".join(items) + f"<div style='margin-top:4px;font-size:0.9em'><i>{more}</i></div>"


class ScrollHere(v.VuetifyTemplate):
    """An empty element that scrolls itself into view when it appears and whenever
    ``token`` changes (the newest key moment is brought into view, not left below the
    fold)."""

    token = traitlets.Unicode("").tag(sync=True)
    template = traitlets.Unicode(
        """<template><div class="pax-scroll-here"></div></template>
<script>
module.exports = {
  mounted() { this.scroll(); },
  watch: { token() { this.scroll(); } },
  methods: {
    scroll() {
      const el = this.$el && this.$el.parentElement;
      if (!el) { return; }
      setTimeout(() => {  // only when not in view already (nothing else moves)
        const r = el.getBoundingClientRect();
        if (r.top < 70 || r.top > window.innerHeight - 120) {
          el.scrollIntoView({block: "start"});
        }
      }, 30);
    },
  },
};
</script>"""
    ).tag(sync=True)


@solara.component
def LessonPanel(state):
    """The loaded lesson beside the charts: its key moments so far and its text."""
    sess = session(state)
    lesson = sess.lesson.value
    m = state.model.value
    state.version.value  # noqa: B018 (redraw after each quarter)
    text = solara.use_memo(lambda: panel_html(lesson) if lesson else "", [lesson])
    after = solara.use_memo(lambda: after_html(lesson) if lesson else "", [lesson])
    if lesson is None:  # unloaded: the parent removes the panel
        return
    run, why = sess.follow(m)
    with solara.Card(
        f"Lesson {lesson.order}: {lesson.title}", margin=0, classes=["pax-card", "pax-lesson-panel"]
    ):
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Text(
                f"Scenario {sess.settings.value.scenario if sess.settings.value else ''}"
                f", seed {lesson.seed}",
                style={"font-size": "0.85em", "color": "#555"},
            )
            solara.Button(
                "Unload lesson",
                on_click=sess.unload,
                outlined=True,
                small=True,
                icon_name="mdi-close",
                classes=["pax-lesson-unload"],
            )
        if sess.settings.value is not None and state.applied.value != sess.settings.value:
            solara.Warning(
                "The run on screen is not the lesson's (its settings were changed "
                "and Reset): the key moments below are this run's.",
                dense=True,
                classes=["pax-lesson-changed"],
            )
        if why:
            solara.Error(
                f"The key moments cannot be followed in this run: {why}",
                classes=["pax-lesson-error"],
            )
        elif run is not None:
            fired = now_moments(run)
            if fired:  # the moment Play stopped at: first in the panel, and in view
                with solara.Div(classes=["pax-moment-current"]):
                    ScrollHere.element(token=f"{id(run)}-{run.quarter}")
                    solara.HTML(
                        tag="div",
                        unsafe_innerHTML=current_html(run, fired),
                        classes=["pax-moment-current-text"],
                    )
                    if not run.done:  # here too: on a phone the controls are folded away
                        solara.Button(
                            "Play on",
                            icon_name="mdi-play",
                            color="primary",
                            small=True,
                            disabled=state.playing.value,
                            on_click=state.play,
                            classes=["pax-lesson-play"],
                        )
            solara.HTML(
                tag="div", unsafe_innerHTML=moments_html(run), classes=["pax-lesson-moments"]
            )
        solara.HTML(tag="div", unsafe_innerHTML=text, classes=["pax-lesson-text"])
        over = run is not None and run.done
        if over or sess.reveal.value:
            solara.HTML(tag="div", unsafe_innerHTML=after, classes=["pax-lesson-after"])
        elif after:
            with solara.Row(style={"align-items": "center"}):
                solara.HTML(
                    tag="div",
                    unsafe_innerHTML=(
                        "<b>What to notice</b> and the questions for discussion appear "
                        "when the run is over: they would give the results away."
                    ),
                    classes=["pax-lesson-after-hidden"],
                )
                solara.Button(
                    "Show now",
                    on_click=lambda: sess.reveal.set(True),
                    text=True,
                    small=True,
                    classes=["pax-lesson-reveal"],
                )


@solara.component
def BesideRun(state, run_view: Callable):
    """The run view; with a lesson loaded, its panel beside the charts."""
    solara.Style(CSS)
    loaded = session(state).lesson.value is not None
    # the same tree with or without the panel, so the charts are not made again
    with solara.Columns([3, 2] if loaded else [1], classes=["pax-beside-run"]):
        with solara.Div():
            run_view(state)
        if loaded:
            LessonPanel(state)


@solara.component
def LessonsView(state, on_loaded: Callable[[], None] | None = None):
    """The Lessons tab: every lesson, with a Load button each."""
    sess = session(state)
    found, broken = solara.use_memo(list_lessons, [])
    loaded = sess.lesson.value

    def load(path: Path) -> None:
        if sess.load(path) and on_loaded is not None:
            on_loaded()

    solara.HTML(
        tag="p",
        unsafe_innerHTML=(
            "Short lessons, each built on one argument of the paper. <b>Load</b> one to "
            "set the controls to its scenario and seed and start its run; its text appears "
            "beside the charts. Press <b>Play</b>: the run stops at each key moment and "
            "shows it at the top of the lesson; press <b>Play</b> again to go on. What to "
            "notice appears when the run is over. A class plan for teachers is in "
            "<code>docs/lessons/README.md</code> (the same lessons also run in a terminal)."
        ),
        classes=["pax-lessons-intro"],
    )
    if sess.message.value:
        solara.Error(sess.message.value, classes=["pax-lesson-error"])
    if loaded is not None:
        with solara.Row(style={"align-items": "center"}):
            solara.Success(f"Loaded: lesson {loaded.order}, {loaded.title}.", dense=True)
            solara.Button(
                "Unload lesson",
                on_click=sess.unload,
                outlined=True,
                icon_name="mdi-close",
                classes=["pax-lesson-unload-tab"],
            )
    for msg in broken:
        solara.Warning(
            f"A lesson that cannot be used: {msg}", dense=True, classes=["pax-lesson-broken"]
        )
    for ls in found:
        is_loaded = loaded is not None and loaded.path == ls.path
        with solara.Card(
            margin=0, classes=["pax-card", f"pax-lesson-{ls.name}"], style={"margin-bottom": "8px"}
        ):
            with solara.Row(style={"align-items": "center"}, justify="space-between"):
                with solara.Column(gap="2px"):
                    solara.HTML(
                        tag="div",
                        unsafe_innerHTML=(
                            f"<b>Lesson {ls.order}: {html.escape(ls.title)}</b>"
                            f"{' (loaded)' if is_loaded else ''}"
                            f"<br>{html.escape(summary(ls))}<br><small style='color:#555'>"
                            f"Scenario <code>{html.escape(scenario_ref(ls))}</code>, seed "
                            f"{ls.seed}, about {ls.minutes} minutes, {len(ls.moments)} key "
                            "moments</small>"
                        ),
                        classes=["pax-lesson-item"],
                    )
                solara.Button(
                    "Load",
                    color="primary",
                    icon_name="mdi-school",
                    on_click=lambda p=ls.path: load(p),
                    classes=["pax-lesson-load", f"pax-lesson-load-{ls.name}"],
                )
