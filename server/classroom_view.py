"""Classroom mode's pages: a teacher's board and the students' seats (HubNet-style).

Open ``/classroom`` on the app's address (``pax-silica app --host 0.0.0.0`` so the class
can reach it). The teacher opens a shared game (scenario, seed, the timer for each round
of choices) and gets its board; each student picks the game, types a name and takes a
seat: the US, China, Russia, Brazil, the EU, or a state that may sign or leave. Each
quarter the model asks the seated actors in rounds (the US; China; the other pressurers;
the states) and moves on when every seat in the round has chosen or the timer runs out;
unseated actors follow their rules. A student who leaves (or whose page closes) hands
the seat back to its rules.

The engine is :mod:`server.classroom`; each page polls the shared game's ``version`` a
few times a second and redraws what changed, and sends a heartbeat while its browser
tab is connected. Nothing here decides anything: choices go through the model's checks.
"""

from __future__ import annotations

import html
import os
import secrets
import time

import solara
import solara.lab
from solara.alias import rv

from model.scenario import ScenarioError, preset_names
from server import charts, controls
from server.classroom import Game, SeatError, close_game, open_game, open_games
from server.seat_view import DecisionPanel, GameChart
from server.status import event_log_html, status_line

POLL = 0.25  # seconds between looks at the shared game


def seat_timeout() -> float:
    """Seconds a seat stays held with no word from its page (``PAX_SEAT_TIMEOUT``)."""
    try:
        return max(1.0, float(os.environ.get("PAX_SEAT_TIMEOUT", "20")))
    except ValueError:
        return 20.0


class Session:
    """One browser tab in the classroom: who it is, which game, which role."""

    def __init__(self):
        self.holder = secrets.token_hex(8)
        self.code = solara.reactive(None)  # the game's code
        self.role = solara.reactive(None)  # "teacher" or "student"
        self.tick = solara.reactive(0)  # bumped to redraw the page
        self.requested: int | None = None  # the game's version we last asked to draw
        self.requested_at = 0.0
        self.drawn: int | None = None  # the game's version the page last drew
        self.error = solara.reactive(None)
        self.name = solara.reactive("")
        self.generation = 0  # the poll loop that may run; an older one stops

    @property
    def game(self) -> Game | None:
        return open_games().get(self.code.value) if self.code.value else None

    def signature(self) -> int:
        """What the page shows, as a number: the game's version, or the lobby's."""
        game = self.game
        if game is not None:
            return game.version
        return hash(tuple((c, g.version) for c, g in open_games().items()))

    def poll(self) -> None:
        """Runs in a background task: follow the game (or the list of games), heartbeat
        while the tab is connected, hand the seat back when the page is closed.

        A redraw asked for from this thread can be lost when it races another render
        (see ``AppState.play_loop`` in server/app.py), so the page records the version it
        drew and the loop asks again, once a second, until the drawing catches up."""
        from solara.server import kernel_context

        self.generation += 1
        me = self.generation
        ctx = kernel_context.get_current_context() if kernel_context.has_current_context() else None
        while self.generation == me:
            if ctx is not None and ctx.closed_event.is_set():
                if self.game is not None:
                    self.game.leave(self.holder, "closed the page")
                return
            game = self.game
            if game is None and self.code.value is not None:  # the teacher closed it
                self.code.value, self.role.value = None, None
                self.error.value = "The game was closed by the teacher."
                return
            if game is not None and (
                ctx is None or kernel_context.PageStatus.CONNECTED in ctx.page_status.values()
            ):
                game.heartbeat(self.holder)
            seen = self.signature()
            now = time.monotonic()
            if seen != self.drawn and (seen != self.requested or now - self.requested_at > 1):
                self.requested, self.requested_at = seen, now
                self.tick.value += 1
            time.sleep(POLL)


def seats_html(game: Game) -> str:
    waiting = set(game.waiting_for())
    rows = []
    for seat in game.seats.values():
        if seat.holder is None:
            who, state = "<i style='color:#888'>rules</i>", ""
        else:
            who = html.escape(seat.label or "a student")
            state = (
                "<b style='color:#c0392b'>choosing…</b>"
                if seat.actor in waiting
                else "chosen"
                if seat.actor in game.pending
                else ""
            )
        rows.append(
            f"<tr><td style='padding:1px 8px 1px 0'>{html.escape(seat.name)}</td>"
            f"<td style='padding:1px 8px 1px 0'>{who}</td><td>{state}</td></tr>"
        )
    return (
        "<table class='pax-seats' style='font-size:0.85em;border-collapse:collapse'>"
        "<tr><th align=left style='padding-right:8px'>Seat</th>"
        "<th align=left style='padding-right:8px'>Played by</th>"
        "<th align=left>This round</th></tr>" + "".join(rows) + "</table>"
    )


def round_line(game: Game) -> str:
    """The game in one line: its state, quarters played, whom the round waits for."""
    if game.error:
        return f"<b style='color:#d62728'>{html.escape(game.error)}</b>"
    status = {
        "open": "not started",
        "running": "running",
        "paused": "paused",
        "finished": "over",
        "closed": "closed",
    }[game.status]
    horizon = game.model.p["steps"]
    line = (
        f"Game <b>{html.escape(game.title)}</b>: {status} · "
        f"<span class='pax-played'>{game.played} of {horizon} quarters played</span>"
    )
    waiting = [game.seats[a].name for a in game.waiting_for()]
    if waiting:
        left = game.time_left()
        clock = f" ({left:.0f} s left)" if left is not None else ""
        line += (
            f" · {game.model.when()} under way, waiting for "
            f"<b>{html.escape(', '.join(waiting))}</b>{clock}"
        )
    timer = f"{game.round_seconds:g} s per round" if game.round_seconds else "no timer"
    return f"{line} · {timer}"


def notes_html(game: Game, limit: int = 12) -> str:
    items = "".join(f"<li>{html.escape(n)}</li>" for n in reversed(game.notes[-limit:]))
    return f"<ul class='pax-notes' style='font-size:0.85em;margin:0'>{items}</ul>"


# --------------------------------------------------------------------- the pages -------
@solara.component
def OpenGameForm(session: Session):
    scenario = solara.use_reactive("baseline")
    seed = solara.use_reactive("0")
    timer = solara.use_reactive("60")
    quarters = solara.use_reactive("12")

    def open_it():
        try:
            seconds = timer.value.strip() or None
            steps = int(quarters.value) if quarters.value.strip() else None
            if steps is not None and steps < 1:
                raise ValueError
        except ValueError:
            session.error.value = (
                f"quarters: expected a whole number of quarters above 0, got {quarters.value!r}"
            )
            return
        try:
            code, _ = open_game(
                scenario=controls.load(scenario.value),  # by name, never a path
                seed=seed.value.strip() or None,
                round_seconds=seconds,
                seat_timeout=seat_timeout(),
                params={"steps": steps} if steps else None,
            )
        except (ScenarioError, SeatError) as e:
            session.error.value = str(e)
            return
        session.error.value = None
        session.code.value, session.role.value = code, "teacher"

    with solara.Card("Open a shared game (teacher)", margin=0, classes=["pax-open-game"]):
        solara.Select(
            "Scenario", value=scenario, values=preset_names(), classes=["pax-class-scenario"]
        )
        solara.InputText("Seed (a whole number)", value=seed, classes=["pax-class-seed"])
        solara.InputText(
            "Seconds per round of choices (blank: wait for everyone)",
            value=timer,
            classes=["pax-class-timer"],
        )
        solara.InputText("Quarters to play", value=quarters, classes=["pax-class-quarters"])
        solara.Button(
            "Open the game", color="primary", on_click=open_it, classes=["pax-class-open"]
        )


@solara.component
def Lobby(session: Session, version: int):
    solara.Markdown(
        "**Classroom mode.** The teacher opens a shared game and shows its board; each "
        "student joins it and takes a seat — the US, China, Russia, Brazil, the EU or a "
        "state of the alliance. Each quarter waits until every seated player has chosen, "
        "or the teacher's timer runs out; actors nobody plays follow their rules."
    )
    games = open_games()
    with solara.Card("Open games", margin=0, classes=["pax-game-list"]):
        if not games:
            solara.Text("No game is open yet: the teacher opens one below.")
        for code, g in games.items():
            taken = sum(s.holder is not None for s in g.seats.values())
            with solara.Row(classes=[f"pax-game-{code}"]):
                solara.Text(
                    f"{code}: {g.title} · {g.status} · {g.model.when()} · "
                    f"{taken} of {len(g.seats)} seats taken"
                )
                solara.Button(
                    "Join as a student",
                    on_click=lambda c=code: (session.code.set(c), session.role.set("student")),
                    classes=["pax-join"],
                    outlined=True,
                )
                solara.Button(
                    "Teacher's board",
                    on_click=lambda c=code: (session.code.set(c), session.role.set("teacher")),
                    classes=["pax-board"],
                    text=True,
                )
    OpenGameForm(session)


@solara.component
def TeacherBoard(session: Session, game: Game, version: int):
    timer = solara.use_reactive(f"{game.round_seconds:g}" if game.round_seconds else "")

    def act(fn, *args):
        try:
            fn(*args)
            session.error.value = None
        except SeatError as e:
            session.error.value = str(e)

    def close():
        close_game(session.code.value)
        session.code.value, session.role.value = None, None

    with game.reading() as m:
        steps = m.steps
        status = status_line(m)
        log = event_log_html(m)
    solara.HTML(
        tag="div",
        unsafe_innerHTML=f"Game code <b>{session.code.value}</b> · " + round_line(game),
        classes=["pax-round"],
    )
    solara.HTML(tag="div", unsafe_innerHTML=status, classes=["pax-status"])
    with solara.Row():
        running = game.status == "running"
        over = game.status in ("finished", "closed")
        solara.Button(
            "Pause" if running else "Start",
            color="primary",
            disabled=over,
            on_click=game.pause if running else game.start,
            classes=["pax-class-start"],
        )
        solara.Button(
            "One quarter",
            outlined=True,
            disabled=over or running,
            on_click=game.step,
            classes=["pax-class-step"],
        )
        solara.Button(
            "End this round now",
            outlined=True,
            disabled=not game.waiting_for(),
            on_click=game.end_round,
            classes=["pax-class-end-round"],
        )
        solara.InputText("Seconds per round", value=timer, classes=["pax-class-timer-set"])
        solara.Button(
            "Set timer",
            text=True,
            classes=["pax-class-set-timer"],
            on_click=lambda: act(game.set_timer, timer.value.strip() or None),
        )
        solara.Button("Close the game", text=True, on_click=close, classes=["pax-class-close"])
    with solara.Columns([1, 2]):
        with solara.Column():
            with solara.Card("Seats", margin=0):
                solara.HTML(tag="div", unsafe_innerHTML=seats_html(game))
            with solara.Card("In the classroom", margin=0):
                solara.HTML(tag="div", unsafe_innerHTML=notes_html(game))
        with solara.Column():
            with solara.Columns([1, 1]):
                GameChart(game, charts.membership_figure, steps, "pax-board-membership")
                GameChart(game, charts.network_figure, steps, "pax-board-network")
            GameChart(game, charts.supply_chain_figure, steps, "pax-board-supply")
            with solara.Card("Event log (newest first)", margin=0):
                solara.HTML(tag="div", unsafe_innerHTML=log, classes=["pax-event-log"])


@solara.component
def StudentSeat(session: Session, game: Game, version: int):
    actor = game.seat_of(session.holder)

    def take(a: str):
        try:
            game.take(a, session.holder, session.name.value.strip())
            session.error.value = None
        except SeatError as e:
            session.error.value = str(e)

    solara.HTML(tag="div", unsafe_innerHTML=round_line(game), classes=["pax-round"])
    if actor is None:
        solara.InputText("Your name", value=session.name, classes=["pax-student-name"])
        solara.Text("Take a seat: you decide for that actor each quarter.")
        with solara.Row(style={"flex-wrap": "wrap"}):
            for seat in game.seats.values():
                taken = seat.holder is not None
                label = f"{seat.name} ({seat.label or 'taken'})" if taken else seat.name
                solara.Button(
                    label,
                    disabled=taken,
                    outlined=True,
                    on_click=lambda a=seat.actor: take(a),
                    classes=["pax-take", f"pax-take-{seat.actor}"],
                )
        return
    with game.reading() as m:
        steps = m.steps
        status = status_line(m)
        log = event_log_html(m, limit=30)
    with solara.Row():
        solara.HTML(
            tag="div",
            unsafe_innerHTML=(
                f"You are <b>{html.escape(game.seats[actor].name)}</b>"
                + (f" ({html.escape(game.seats[actor].label)})" if game.seats[actor].label else "")
            ),
            classes=["pax-my-seat"],
        )
        solara.Button(
            "Leave the seat",
            text=True,
            classes=["pax-leave"],
            on_click=lambda: game.leave(session.holder),
        )
    solara.HTML(tag="div", unsafe_innerHTML=status, classes=["pax-status"])
    with solara.Columns([1, 1]):
        DecisionPanel(game, session.holder, version)
        with solara.Column():
            GameChart(game, charts.membership_figure, steps, "pax-seat-membership")
            with solara.Card("Event log (newest first)", margin=0):
                solara.HTML(tag="div", unsafe_innerHTML=log, classes=["pax-event-log"])


@solara.component
def ClassroomPage():
    session = solara.use_memo(Session, [])
    solara.Title("Pax Silica: classroom")
    code, role = session.code.value, session.role.value
    version = session.tick.value
    session.drawn = session.signature()  # what this render shows (see Session.poll)
    solara.lab.use_task(session.poll, dependencies=[code])
    with rv.Html(tag="div", style_="padding: 12px"):
        solara.HTML(tag="h2", unsafe_innerHTML="Pax Silica · classroom", style="margin: 0 0 8px 0")
        if session.error.value:
            solara.Error(session.error.value, classes=["pax-class-error"])
        game = session.game
        if game is None:
            Lobby(session, version)
        else:
            with solara.Row():
                solara.Button(
                    "Back to the list of games",
                    text=True,
                    classes=["pax-class-back"],
                    on_click=lambda: (
                        game.leave(session.holder, "leaves the game"),
                        session.code.set(None),
                        session.role.set(None),
                    ),
                )
            if role == "teacher":
                TeacherBoard(session, game, version)
            else:
                StudentSeat(session, game, version)
