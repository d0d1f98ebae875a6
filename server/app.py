"""Pax Silica: the interactive app (Solara).

Run it with ``uv run pax-silica app`` (binds 127.0.0.1:8765; ``--host``, ``--port``), or
``uv run solara run server/app.py``. It works offline: the page's JavaScript comes from the
project's asset cache (``uv run pax-silica assets`` builds it; ``pax-silica app`` does so
when it is missing).

The page follows Mesa's ``SolaraViz`` (a reactive model, Step / Play / Reset, parameter
controls, charts redrawn each step) with its own controller, because the model's
scenarios reject bad values with a ``ScenarioError`` that the page must show, not raise:

* **one model per browser session**: the model is made inside the page component
  (``solara.use_memo``), never at module level, so two tabs never share one;
* **controls** hold :class:`server.controls.Settings`; Reset builds a new model from them
  through the model's own scenario loader (the same ``--set`` list as the command line);
* **views** are Plotly figures from :mod:`server.charts`, drawn by plotly.js in the browser
  (:mod:`server.plot`) and redrawn when what they show changes; the event log is newest
  first; the Info tab renders ``docs/app_info.md``;
* **replications** run seeds 0..N-1 of the applied settings in a background thread and
  keep each job for comparison (:mod:`server.replications_view`);
* the run's series and events download as CSV and its link opens it again
  (:mod:`server.export_view`, :mod:`server.share`); every page is framed by
  :mod:`server.layout` (phones, accessibility).
"""

from __future__ import annotations

import html
import logging
import threading
import time
import warnings
from dataclasses import replace
from pathlib import Path

import reacton.core
import solara
import solara.lab
from solara.alias import rv

from model.params import ParameterError, registry
from model.scenario import ScenarioError, preset_names
from server import assets, charts, controls, lessons_view, plot, share
from server.classroom_view import ClassroomPage
from server.export_view import ExportRow
from server.glossary import GlossaryView
from server.layout import Layout
from server.play_view import PlayView
from server.replications_view import ReplicationsView
from server.status import event_log_html, status_line

assets.configure_solara()

log = logging.getLogger("pax_silica.app")
ROOT = Path(__file__).resolve().parent.parent
INFO_PATH = ROOT / "docs" / "app_info.md"
# Play's speeds: the pause between quarters, on top of drawing time (the speed control)
PLAY_SPEEDS = {"slow": 1.0, "normal": 0.3, "fast": 0.0}


class AppState:
    """Everything one browser session owns: the controls' values, its model, its
    messages. Made once per session by :func:`use_app_state`."""

    def __init__(self, settings: controls.Settings | None = None):
        s = settings or controls.settings_for()
        self.settings = solara.reactive(s)  # what the controls show
        self.applied = solara.reactive(s)  # what the model on screen was built from
        self.model = solara.reactive(controls.build_model(s))
        self.version = solara.reactive(0)  # bumped after each step or reset
        self.error = solara.reactive(None)  # the message of the last refused action
        self.playing = solara.reactive(False)
        # bumped by each press of Play: the play loop's task runs on each new value. (Not on
        # `playing` itself: a stop and a new Play between two renders leave it True, the
        # task sees no change and Play never starts; the key-moment race of issue 14.)
        self.play_token = solara.reactive(0)
        self.speed = solara.reactive("normal")  # a key of PLAY_SPEEDS
        self._pause = threading.Event()  # set by Pause: the loop's wait ends at once
        self.lock = threading.RLock()  # one step or reset at a time
        # Play waits for each quarter to be drawn before the next (see play_loop)
        self._shown = 0
        self._shown_cv = threading.Condition()
        self._loop = 0  # the play loop that may run; an older one stops
        self.render_context = None

    # -- actions ----------------------------------------------------------------------
    def step(self) -> bool:
        """Advance one quarter; False if the run is over."""
        with self.lock:
            m = self.model.value
            if not m.running:
                return False
            try:
                m.step()
            except Exception as e:  # a model bug: say so in the page, keep the session
                log.exception("step failed")
                self.error.value = f"The model failed in this step: {e}"
                self.playing.value = False
                return False
        self.version.value += 1
        return m.running

    def reset(self) -> bool:
        """Build a new model from the controls. On a value the model rejects, keep the
        current model and show the model's message instead."""
        self.playing.value = False
        s = self.settings.value
        try:
            m = controls.build_model(s)
        except ScenarioError as e:
            self.error.value = str(e)
            return False
        except Exception as e:  # anything else: a message, never a crash
            log.exception("reset failed")
            self.error.value = f"Could not build the model: {e}"
            return False
        with self.lock:
            self.model.value = m
            self.applied.value = s
            self.error.value = None
            self.version.value += 1
        return True

    def choose_scenario(self, name: str) -> None:
        """Set every control to the preset's values (the seed and extra settings stay)."""
        old = self.settings.value
        try:
            new = controls.settings_for(name, seed=old.seed)
        except ScenarioError as e:
            self.error.value = str(e)
            return
        self.settings.value = controls.Settings(
            scenario=new.scenario,
            values=new.values,
            expansion=new.expansion,
            counter_alliance=new.counter_alliance,
            seed=old.seed,
            extra=old.extra,
        )

    def update(self, **changes) -> None:
        self.settings.value = replace(self.settings.value, **changes)

    def set_param(self, name: str, raw) -> None:
        """A slider's value as the page sends it, checked as the command line checks it
        (:func:`server.controls.slider_value`); refused with the message shown."""
        try:
            v = controls.slider_value(name, raw)
        except (ParameterError, ScenarioError) as e:
            self.error.value = str(e)
            return
        s = self.settings.value
        self.update(values=tuple((k, v if k == name else x) for k, x in s.values))

    def play(self) -> None:
        """Start Play: a new play loop (an older one still winding down stops at its next
        check, so two never step the same model)."""
        if self.playing.value:
            return
        with self.lock:
            self._loop += 1
        self._pause.clear()
        self.playing.value = True
        self.play_token.value += 1

    def pause(self) -> None:
        """Stop Play at once: no quarter starts after this (one already being run ends)."""
        self.playing.value = False
        with self.lock:
            self._loop += 1
        self._pause.set()
        with self._shown_cv:  # a loop waiting for a drawing stops waiting
            self._shown_cv.notify_all()

    def toggle_play(self) -> None:
        """The Play button: Pause while playing, else Play."""
        if self.playing.value:
            self.pause()
        else:
            self.play()

    def close(self) -> None:
        """The page has gone: stop Play and let go of the model (called when Solara closes
        the session, so nothing it held stays in the server's memory)."""
        self.playing.value = False
        self._pause.set()
        with self.lock:
            self._loop += 1  # a play loop still running stops at its next check
        with self._shown_cv:
            self._shown = 1 << 62  # wakes a play loop waiting for a drawing
            self._shown_cv.notify_all()
        self.render_context = None

    def mark_shown(self, version: int) -> None:
        """Called (as an effect) once the views of ``version`` are on the page."""
        with self._shown_cv:
            self._shown = max(self._shown, version)
            self._shown_cv.notify_all()

    def wait_shown(self, version: int, timeout: float) -> bool:
        with self._shown_cv:
            return self._shown_cv.wait_for(lambda: self._shown >= version, timeout)

    def play_loop(self) -> None:
        """Step while Play is on (runs in a background thread), one quarter at a time:
        each step waits until its charts are drawn, so Play never runs ahead of the page.
        With a lesson loaded, Play stops at the quarter of each of its key moments.
        A render asked for from this thread can be lost when it races a render in another
        thread (seen with reacton 1.11: the run went on undrawn to its end); if a quarter
        is not drawn while no drawing is under way, the page is asked to redraw outright."""
        me = self._loop  # set by play(); Pause or a newer Play changes it

        def current() -> bool:
            return self.playing.value and self._loop == me

        while current():
            with self.lock:
                if not current():  # Pause pressed while this loop waited for the lock
                    break
                more = self.step()
            # a loaded lesson: stop at each of its key moments (server/lessons_view.py)
            stop = bool(lessons_view.session(self).stops_here(self.model.value))
            version = self.version.value
            deadline = time.monotonic() + 20.0
            while current() and not self.wait_shown(version, 0.5):
                if time.monotonic() > deadline:
                    break
                rc = self.render_context
                busy = getattr(rc, "thread_lock", None)
                if rc is not None and not (busy is not None and busy.locked()):
                    # not drawn, and no drawing under way: the request was lost
                    log.info("quarter %s was not drawn: redrawing", self.model.value.steps)
                    rc.force_update()
            if not more or stop:
                if self._loop == me:
                    self.playing.value = False
                break
            if self._pause.wait(PLAY_SPEEDS.get(self.speed.value, PLAY_SPEEDS["normal"])):
                break


def use_app_state(search: str | None = None) -> AppState:
    """This session's state, made on the first render of the page and kept after: with the
    settings of the link it was opened with (``search``: the query, :mod:`server.share`),
    or the defaults and a message naming what the link got wrong."""

    def make() -> AppState:
        try:
            settings = share.settings_from_query(search)
        except (ScenarioError, ParameterError) as e:
            state = AppState()
            state.error.value = f"Could not open the link: {e}"
            return state
        return AppState(settings)

    return solara.use_memo(make, [])


@solara.component
def Chart(make, model, key, css: str):
    """A chart of :mod:`server.charts`, drawn by plotly.js in the browser
    (:mod:`server.plot`), rebuilt only when ``key`` changes."""
    figure, version = solara.use_memo(
        lambda: (make(model), f"{id(model)}-{model.steps}"), [id(model), key]
    )
    plot.Plot(figure, css, version=version)


# ---------------------------------------------------------------------- controls ------
def _box_text(value) -> str:
    """A value as the box beside a slider shows it (no thousands separators: typed back)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return str(value) if isinstance(value, int) else f"{value:.10g}"


@solara.component
def ParamSlider(name: str, value, on_value, applied=None):
    """One parameter: its label and value, a slider (on a log scale when the range spans
    orders of magnitude), a box to type an exact value (checked against the parameter's
    range, one message when refused), and the registry's description, unit and range
    under it, so it reads on a phone as well (no hover needed)."""
    meta = controls.slider_meta(name)
    kind = controls.slider_kind(name)
    typed_error = solara.use_reactive(None)
    # a new value (from the slider, a preset, Reset): an old refusal no longer applies
    solara.use_effect(lambda: typed_error.set(None), [value])
    changed = applied is not None and applied != value
    mark = (
        " <span class='pax-changed' title='changed, not applied: press Reset'>"
        "&#9679; changed</span>"
        if changed
        else ""
    )
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            f"<b>{html.escape(meta.label)}</b>: {html.escape(meta.fmt(value))} "
            f"{html.escape(meta.unit)}{mark}"
        ),
        style="margin: 12px 0 -4px 0; font-size: 0.92em",
        classes=["pax-label", f"pax-label-{name}"],
    )

    def typed(text):
        try:
            v = controls.typed_value(name, text)
        except ScenarioError as e:
            typed_error.value = str(e).removeprefix(f"{controls.SOURCE}: ")
            return
        typed_error.value = None
        on_value(v)

    with solara.Row(style={"align-items": "center", "flex-wrap": "nowrap"}, gap="6px"):
        with solara.Div(style={"flex": "1 1 auto", "min-width": "0"}):
            if kind == "log":
                rv.Slider(
                    v_model=controls.log_position(name, value),
                    min=0,
                    max=controls.log_positions(name),
                    step=1,
                    hide_details=True,
                    on_v_model=lambda p: on_value(controls.log_value(name, p)),
                    class_=f"param-{name}",
                    attributes={"aria-label": f"{meta.label} ({meta.unit})"},
                )
            else:
                step = controls.slider_step(name)
                lo, hi = controls.slider_range(name)

                def set_value(v):
                    try:
                        v = round(float(v) / step) * step
                    except (TypeError, ValueError, OverflowError):
                        on_value(v)  # refused with the parameter's message
                        return
                    on_value(int(v) if kind == "int" else round(v, 10))

                rv.Slider(
                    v_model=value,
                    min=lo,
                    max=hi,
                    step=step,
                    hide_details=True,
                    thumb_label=True,
                    on_v_model=set_value,
                    class_=f"param-{name}",
                    attributes={"aria-label": f"{meta.label} ({meta.unit})"},
                )
        solara.InputText(
            "exact value",
            value=_box_text(value),
            on_value=typed,
            dense=True,
            hide_details=True,
            classes=["pax-typed", f"pax-typed-{name}"],
            style={"max-width": "92px", "min-width": "72px"},
        )
    if typed_error.value:
        solara.Error(typed_error.value, dense=True, classes=["pax-typed-error"])
    solara.HTML(
        tag="div",
        unsafe_innerHTML=html.escape(meta.help),
        classes=["pax-help", f"pax-help-{name}"],
    )


@solara.component
def Controls(state: AppState):
    s = state.settings.value
    m = state.model.value
    playing = state.playing.value
    scen = solara.use_memo(lambda: controls.load(s.scenario), [s.scenario])
    presets = preset_names()  # a lesson's scenario file is listed while it is chosen
    applied = state.applied.value
    changed = controls.pending(s, applied)  # controls not yet applied by Reset
    solara.Select(
        "Scenario (preset)",
        value=s.scenario,
        values=presets if s.scenario in presets else [*presets, s.scenario],
        on_value=state.choose_scenario,
        classes=["pax-scenario"],
    )
    solara.Text(scen.description, style={"font-size": "0.85em", "color": "#555"})
    with solara.Row(justify="space-between", style={"margin": "10px 0 4px 0"}):
        with solara.Div(style={"position": "relative"}):
            solara.Button(
                "Reset",
                color="primary",
                on_click=state.reset,
                icon_name="mdi-restart",
                classes=["pax-reset"],
            )
            if changed:
                solara.HTML(
                    tag="span",
                    unsafe_innerHTML=str(len(changed)),
                    classes=["pax-pending-count"],
                    attributes={"title": f"{len(changed)} changed, not applied"},
                )
        solara.Button(
            "Step",
            color="primary",
            on_click=state.step,
            outlined=True,
            disabled=playing or not m.running,
            icon_name="mdi-step-forward",
            classes=["pax-step"],
        )
        solara.Button(
            "Pause" if playing else "Play",
            color="primary",
            on_click=state.toggle_play,
            disabled=not m.running and not playing,
            icon_name="mdi-pause" if playing else "mdi-play",
            classes=["pax-play"],
        )
    with solara.Row(style={"align-items": "center", "margin": "0 0 6px 0"}):
        solara.Text("Play speed", style={"font-size": "0.85em"})
        solara.ToggleButtonsSingle(
            value=state.speed.value,
            values=list(PLAY_SPEEDS),
            on_value=state.speed.set,
            dense=True,
            classes=["pax-speed"],
        )
    if state.error.value:
        solara.Error(state.error.value, classes=["pax-error"])
    if changed or s != applied:
        n = len(changed)
        what = (
            f"{n} setting{'s' if n != 1 else ''} changed, not applied: {', '.join(changed)}"
            if n
            else "Settings changed, not applied"
        )
        solara.Info(
            f"{what}; press Reset to start a run with {'it' if n == 1 else 'them'}.",
            dense=True,
            classes=["pax-pending"],
        )
    solara.InputText(
        "Seed (a whole number; blank for a random one)",
        value=s.seed,
        on_value=lambda v: state.update(seed=v),
        continuous_update=True,
        classes=["pax-seed"],
    )
    for name in controls.SLIDERS:
        ParamSlider(
            name,
            s.value(name),
            lambda v, name=name: state.set_param(name, v),
            applied=dict(applied.values).get(name),
        )
    solara.HTML(
        tag="div",
        unsafe_innerHTML="<b>Expansion: who else signs</b>",
        style="margin-top: 14px; font-size: 0.92em",
    )
    for code, country in controls.EXPANSION.items():
        on_now = code in s.expansion
        locked = controls.switch_locked(s.scenario, code)
        solara.Switch(
            label=f"{country} ({code}) signs"
            + (" · changed" if on_now != (code in applied.expansion) else ""),
            value=on_now,
            on_value=lambda on, code=code: state.update(
                expansion=state.settings.value.with_member(code, on).expansion
            ),
            disabled=bool(locked) and not on_now,
            classes=[f"pax-member-{code}"],
        )
        if locked:
            solara.HTML(
                tag="div",
                unsafe_innerHTML=html.escape(f"{country}: {locked}."),
                classes=["pax-help", f"pax-locked-{code}"],
            )
    solara.HTML(
        tag="div",
        unsafe_innerHTML=html.escape(controls.SWITCH_HELP),
        classes=["pax-help", "pax-help-expansion"],
    )
    solara.Switch(
        label="Counter-alliance: China, Russia and Brazil coordinate"
        + (" · changed" if s.counter_alliance != applied.counter_alliance else ""),
        value=s.counter_alliance,
        on_value=lambda on: state.update(counter_alliance=on),
        classes=["pax-counter"],
    )
    solara.HTML(
        tag="div",
        unsafe_innerHTML=html.escape(registry()["counter_alliance"].doc),
        classes=["pax-help", "pax-help-counter"],
    )
    solara.InputText(
        "More settings (key=value ..., as after --set)",
        value=s.extra,
        on_value=lambda v: state.update(extra=v),
        continuous_update=True,
        classes=["pax-extra"],
    )
    try:
        line = controls.cli_command(applied, seed=m.rng_seed)
    except ScenarioError:
        line = ""
    if line:
        solara.HTML(
            tag="div",
            unsafe_innerHTML=(
                "<small>The run on screen, from the command line:</small>"
                f"<pre style='white-space:pre-wrap;font-size:0.8em;background:#f3f3f3;"
                f"padding:6px;border-radius:4px'>{html.escape(line)}</pre>"
            ),
            classes=["pax-cli"],
        )


# ------------------------------------------------------------------------ views -------
@solara.component
def RunView(state: AppState):
    m = state.model.value
    version = state.version.value
    solara.use_effect(lambda: state.mark_shown(version), [version])
    solara.HTML(
        tag="div",
        unsafe_innerHTML=status_line(m),
        classes=["pax-status"],
        style="margin: 4px 0 8px 0",
    )
    # two charts side by side where each gets 480 px or more, else one above the other
    # (at 1024x768, with the controls open, each chart is the width of the page)
    grid = plot.GRID
    with solara.Div(style=grid, classes=["pax-chart-grid"]):
        with solara.Card(margin=0, classes=["pax-card"]):
            Chart(charts.membership_figure, m, version, "pax-chart-membership")
        with solara.Card(margin=0, classes=["pax-card"]):
            Chart(charts.capital_figure, m, version, "pax-chart-capital")
    with solara.Card(margin=0, classes=["pax-card"], style={"margin-bottom": "8px"}):
        Chart(charts.supply_chain_figure, m, charts.supply_chain_key(m), "pax-chart-supply")
    with solara.Card(margin=0, classes=["pax-card"], style={"margin-bottom": "8px"}):
        Chart(charts.map_figure, m, charts.network_key(m), "pax-chart-map")
    with solara.Div(style=grid, classes=["pax-chart-grid"]):
        with solara.Card(margin=0, classes=["pax-card"]):
            Chart(charts.network_figure, m, charts.network_key(m), "pax-chart-network")
        with solara.Card(
            f"Event log ({len(m.events)} events, newest first)", margin=0, classes=["pax-card"]
        ):
            solara.HTML(tag="div", unsafe_innerHTML=event_log_html(m), classes=["pax-event-log"])
    ExportRow(state)  # the series and events as CSV, a link to this run


@solara.component
def InfoView():
    text = solara.use_memo(lambda: INFO_PATH.read_text(encoding="utf-8"), [])
    with solara.Div(classes=["pax-info"]):
        solara.Markdown(text)


CSS = """
.pax-card { padding: 4px !important; }
.pax-help { font-size: 0.78em; color: #555; line-height: 1.3; margin: 2px 0 4px 0; }
.pax-changed { color: #b35900; font-size: 0.85em; white-space: nowrap; }
.pax-pending-count { position: absolute; top: -7px; right: -7px; background: #b35900;
                     color: white; border-radius: 9px; min-width: 18px; height: 18px;
                     font-size: 11px; line-height: 18px; text-align: center; padding: 0 4px; }
.pax-typed input { text-align: right; }
.pax-status p { margin-bottom: 4px; }
.v-navigation-drawer { width: 340px !important; }
"""


@solara.component
def Page():
    state = use_app_state(solara.use_router().search)
    state.render_context = reacton.core.get_render_context(required=False)
    solara.use_effect(lambda: state.close, [])  # the page closed: let go of its session
    solara.Title("Pax Silica")
    solara.Style(CSS)
    solara.lab.use_task(state.play_loop, dependencies=[state.play_token.value])
    with solara.AppBar():
        with solara.AppBarTitle():
            solara.HTML(
                tag="h1",
                unsafe_innerHTML="Pax Silica: can a US-led AI supply-chain alliance hold?",
                style="font-size: 1.15rem; font-weight: 500; margin: 0; white-space: normal;"
                " line-height: 1.2",
            )
    with solara.Sidebar():
        with solara.Card("Controls", margin=0):
            Controls(state)
    tab = solara.use_reactive(0)
    solara.HTML(
        tag="p",
        style="font-size: 0.9em; color: #444; margin: 0",
        unsafe_innerHTML=(
            "A game of alliance and pressure over the AI chip supply chain, 2026-2035: one step "
            "is one quarter. Press <b>Step</b> or <b>Play</b> to run it; change the controls "
            "and press <b>Reset</b> to start again with them. The <i>Info</i> tab explains the "
            "model and the charts."
        ),
    )
    with solara.lab.Tabs(value=tab, align="left"):
        with solara.lab.Tab("Run", classes=["pax-tab-run"]):
            # lessons: a loaded lesson's text beside the charts (server/lessons_view.py)
            lessons_view.BesideRun(state, RunView)
        with solara.lab.Tab("Replications", classes=["pax-tab-reps"]):
            ReplicationsView(state)
        with solara.lab.Tab("Lessons", classes=["pax-tab-lessons"]):
            # lessons: the list; Load resets the run to a lesson and shows the Run tab
            lessons_view.LessonsView(state, on_loaded=lambda: tab.set(0))
        with solara.lab.Tab("Play the US or China", classes=["pax-tab-play"]):
            PlayView()  # play the US or China (server/play_view.py)
        with solara.lab.Tab("Glossary", classes=["pax-tab-glossary"]):
            GlossaryView()  # codes, abbreviations, units (server/glossary.py)
        with solara.lab.Tab("Info: what is this?", classes=["pax-tab-info"]):
            InfoView()


# -------------------------------------------------------------------- the routes ------
# "/" is the app above; "/classroom" is classroom mode (server/classroom_view.py). Solara
# warns when a module has both a Page and routes; here Page is the first route on purpose.
warnings.filterwarnings(
    "ignore", message=".*has a component defined, but you are also defining routes"
)
routes = [
    # the root route's layout frames every page (server/layout.py: phones, accessibility)
    solara.Route(path="/", component=Page, label="Pax Silica", layout=Layout),
    solara.Route(path="classroom", component=ClassroomPage, label="Classroom"),
]
