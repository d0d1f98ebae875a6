"""Classroom mode's pages: a teacher's board and the students' seats (HubNet-style).

Open ``/classroom`` on the app's address (``pax-silica app --host 0.0.0.0`` so the class
can reach it). The teacher opens a shared game (scenario, seed, the timer for each round
of choices, a title) and gets its board and two links: the **teacher link**
(``/classroom?game=CODE&key=KEY``), which carries the game's secret teacher key and is
the only way to the board and its controls, and the **student link**
(``/classroom?game=CODE``, also as a QR code), which carries no key. Each student opens
the student link (or picks the game in the list), types a name and takes a seat: the US,
China, Russia, Brazil, the EU, or a state that may sign or leave. Each quarter the model
asks the seated actors in rounds (the US; China; the other pressurers; the states) and
moves on when every seat in the round has chosen or the timer runs out; unseated actors
follow their rules. A student who leaves (or whose page closes) hands the seat back to
its rules.

The engine is :mod:`server.classroom` (which checks the teacher key on every teacher
action) and its store :mod:`server.classroom_store` (games survive a restart: the
teacher link rebuilds the game). Each page polls the shared game's ``version`` a few
times a second (and once a second while a round's timer runs) and redraws what changed,
and sends a heartbeat while its browser tab is connected. Nothing here decides anything:
choices go through the model's checks. Every name and title is shown as text (escaped).
"""

from __future__ import annotations

import html
import math
import os
import secrets
import time
from urllib.parse import parse_qs, quote

import segno
import solara
import solara.lab
from solara.alias import rv

from model.scenario import ScenarioError, preset_names
from server import charts, controls, plot
from server.classroom import Game, SeatError, TeacherKeyError, classroom, debrief
from server.classroom_store import StoreError
from server.seat_view import DecisionPanel, GameChart
from server.status import event_log_html, status_line

POLL = 0.25  # seconds between looks at the shared game
PUBLIC_URL_ENV = "PAX_SILICA_URL"  # set by ``pax-silica app`` (server/__main__.py)


def student_link(code: str, base: str = "") -> str:
    """The link a student opens: the game's code, never its key."""
    return f"{base}/classroom?game={quote(code)}"


def teacher_link(code: str, key: str, base: str = "") -> str:
    """The teacher's link: the game's code and its secret key (the board's only door)."""
    return f"{base}/classroom?game={quote(code)}&key={quote(key)}"


def public_base() -> str:
    return os.environ.get(PUBLIC_URL_ENV, "").rstrip("/")


def link_of(search: str | None) -> tuple[str | None, str | None]:
    """(game code, teacher key) from a page's query string (None where absent)."""
    q = parse_qs(search or "")
    code = (q.get("game") or [None])[0]
    key = (q.get("key") or [None])[0]
    return (code.strip().upper() or None) if code else None, key or None


class Session:
    """One browser tab in the classroom: who it is, which game, which role."""

    def __init__(self):
        self.holder = secrets.token_hex(8)
        self.code = solara.reactive(None)  # the game's code
        self.key = solara.reactive(None)  # the teacher key, from the teacher link
        self.role = solara.reactive(None)  # "teacher" or "student"
        self.tick = solara.reactive(0)  # bumped to redraw the page
        self.requested: object = None  # what we last asked to draw
        self.requested_at = 0.0
        self.drawn: object = None  # what the page last drew
        self.error = solara.reactive(None)
        self.name = solara.reactive("")
        self.linked: tuple | None = None  # the link (code, key) last applied
        self.generation = 0  # the poll loop that may run; an older one stops

    @property
    def game(self) -> Game | None:
        """The game this tab shows, if it is in this server's memory."""
        code = self.code.value
        try:
            return classroom().games.get(code) if code else None
        except StoreError:  # the page says so (Lobby, ClassroomPage)
            return None

    def signature(self) -> object:
        """What the page shows: the game's version (and, while a round's timer runs, the
        seconds left, so the countdown ticks), or the lobby's."""
        game = self.game
        if game is not None:
            left = game.time_left()
            return (game.version, None if left is None else math.ceil(left), game.status)
        try:
            listing = classroom().listing()
        except StoreError:
            return None
        return tuple(
            (c, r["status"], r["game"].version if r["game"] else None) for c, r in listing.items()
        )

    def poll(self) -> None:
        """Runs in a background task: follow the game (or the list of games), heartbeat
        while the tab is connected, hand the seat back when the page is closed.

        A redraw asked for from this thread can be lost when it races another render
        (see ``AppState.play_loop`` in server/app.py), so the page records what it drew
        and the loop asks again, once a second, until the drawing catches up."""
        from solara.server import kernel_context

        self.generation += 1
        me = self.generation
        ctx = kernel_context.get_current_context() if kernel_context.has_current_context() else None
        while self.generation == me:
            game = self.game
            if ctx is not None and ctx.closed_event.is_set():
                if game is not None:
                    game.leave(self.holder, "closed the page")
                return
            if (
                self.role.value == "student"
                and self.code.value is not None
                and (game is None or game.status == "closed")
            ):
                if game is not None:  # closed: say so truthfully, from the game
                    self.error.value = classroom().closed_message(self.code.value)
                    self.code.value, self.role.value = None, None
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
            was = f" (last: {html.escape(seat.last_label)})" if seat.last_label else ""
            who, state = f"<i style='color:#888'>rules</i>{was}", ""
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
        clock = (
            f" (<span class='pax-time-left'>{math.ceil(left)}</span> s left)"
            if left is not None
            else ""
        )
        line += (
            f" · {game.model.when()} under way, waiting for "
            f"<b>{html.escape(', '.join(waiting))}</b>{clock}"
        )
    timer = f"{game.round_seconds:g} s per round" if game.round_seconds else "no timer"
    line = f"{line} · {timer}"
    if game.store_error:
        line += f" · <b style='color:#d62728'>not saved: {html.escape(game.store_error)}</b>"
    return line


def notes_html(game: Game, limit: int = 12) -> str:
    items = "".join(f"<li>{html.escape(n)}</li>" for n in reversed(game.notes[-limit:]))
    return f"<ul class='pax-notes' style='font-size:0.85em;margin:0'>{items}</ul>"


# --------------------------------------------------------------------- the pages -------
def links_html(code: str, key: str) -> str:
    """The two links of a game (and the student link as a QR code), escaped."""
    base = public_base()
    student = student_link(code, base)
    teacher = teacher_link(code, key, base)
    qr = segno.make_qr(student).svg_data_uri(scale=3) if base else ""
    img = (
        f"<img class='pax-class-qr' alt='QR code of the student link' src='{html.escape(qr)}' "
        "style='float:right;margin-left:8px'>"
        if qr
        else ""
    )
    return (
        f"{img}<p>Students join at <a class='pax-student-link' href='{html.escape(student)}'>"
        f"<code>{html.escape(student)}</code></a> (or pick game <b>{html.escape(code)}</b> in "
        "the list of games).</p>"
        f"<p><small>Your teacher link (keep it to yourself: it opens this board and its "
        f"controls, also after the server restarts): <a class='pax-teacher-link' "
        f"href='{html.escape(teacher)}'><code>{html.escape(teacher)}</code></a></small></p>"
    )


def table_html(df, css: str) -> str:
    """A debrief table; every cell escaped (names are students' text)."""
    return df.to_html(
        index=False, escape=True, na_rep="", classes=css, border=0, float_format="{:.3f}".format
    )


@solara.component
def OpenGameForm(session: Session, go):
    scenario = solara.use_reactive("baseline")
    seed = solara.use_reactive("0")
    timer = solara.use_reactive("60")
    quarters = solara.use_reactive("12")
    title = solara.use_reactive("")

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
            code, key, _ = classroom().open(
                scenario=controls.load(scenario.value),  # by name, never a path
                seed=seed.value.strip() or None,
                round_seconds=seconds,
                params={"steps": steps} if steps else None,
                title=title.value,
            )
        except (ScenarioError, SeatError, StoreError) as e:
            session.error.value = str(e)
            return
        session.error.value = None
        go(code, key)

    with solara.Card("Open a shared game (teacher)", margin=0, classes=["pax-open-game"]):
        solara.InputText(
            "Title (optional)", value=title, continuous_update=True, classes=["pax-class-title"]
        )
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
def Lobby(session: Session, version: int, go):
    solara.Markdown(
        "**Classroom mode.** The teacher opens a shared game and shows its board; each "
        "student joins it and takes a seat — the US, China, Russia, Brazil, the EU or a "
        "state of the alliance. Each quarter waits until every seated player has chosen, "
        "or the teacher's timer runs out; actors nobody plays follow their rules. The "
        "teacher's board opens only from the teacher link given when the game is opened."
    )
    try:
        games = classroom().listing()
    except StoreError as e:
        solara.Error(str(e), classes=["pax-class-error"])
        return
    with solara.Card("Open games", margin=0, classes=["pax-game-list"]):
        if not games:
            solara.Text("No game is open yet: the teacher opens one below.")
        for code, row in games.items():
            g = row["game"]
            with solara.Row(classes=[f"pax-game-{code}"]):
                if g is None:  # in the store, not yet resumed after a restart
                    solara.Text(
                        f"{code}: {row['title']} · saved after {row['played']} quarters · "
                        "waiting for its teacher to open the board again"
                    )
                    continue
                taken = sum(s.holder is not None for s in g.seats.values())
                solara.Text(
                    f"{code}: {g.title} · {g.status} · {g.model.when()} · "
                    f"{taken} of {len(g.seats)} seats taken"
                )
                solara.Button(
                    "Join as a student",
                    on_click=lambda c=code: go(c, None),
                    classes=["pax-join"],
                    outlined=True,
                )
    OpenGameForm(session, go)


@solara.component
def Debrief(game: Game, key: str, version: int):
    """Every seat's choices by quarter, and the game beside the rules' run of its seed."""
    try:
        choices, side = debrief(game, key)
    except TeacherKeyError as e:
        solara.Error(str(e))
        return
    with solara.Card(
        "Debrief: the game and the same seed with the rules", margin=0, classes=["pax-debrief"]
    ):
        solara.Markdown(
            "Left of each pair: this game; right: the same scenario and seed with every "
            "actor on its rules (the model's own run). Blank: quarters not played yet."
        )
        solara.HTML(
            tag="div",
            unsafe_innerHTML=table_html(side, "pax-debrief-series"),
            style="font-size:0.8em;overflow-x:auto",
        )
        with solara.Row():
            solara.FileDownload(
                side.to_csv(index=False),
                filename=f"classroom-{game.code}-vs-rules.csv",
                label="Download the comparison (CSV)",
                mime_type="text/csv",
            )
            solara.FileDownload(
                choices.to_csv(index=False),
                filename=f"classroom-{game.code}-choices.csv",
                label="Download every choice (CSV)",
                mime_type="text/csv",
            )
        solara.HTML(
            tag="div",
            unsafe_innerHTML=table_html(choices, "pax-debrief-choices"),
            style="font-size:0.8em;max-height:400px;overflow-y:auto",
        )


@solara.component
def TeacherBoard(session: Session, game: Game, version: int):
    key = session.key.value
    timer = solara.use_reactive(f"{game.round_seconds:g}" if game.round_seconds else "")
    confirm = solara.use_reactive(False)
    show_debrief = solara.use_reactive(False)

    def act(fn, *args):
        try:
            fn(key, *args)
            session.error.value = None
        except (SeatError, TeacherKeyError) as e:
            session.error.value = str(e)

    def close():
        confirm.set(False)
        act(game.close)

    with game.reading() as m:
        steps = m.steps
        status = status_line(m)
        log = event_log_html(m)
    solara.HTML(
        tag="div",
        unsafe_innerHTML=f"Game code <b>{html.escape(game.code)}</b> · " + round_line(game),
        classes=["pax-round"],
    )
    solara.HTML(tag="div", unsafe_innerHTML=status, classes=["pax-status"])
    solara.HTML(tag="div", unsafe_innerHTML=links_html(game.code, key), classes=["pax-class-links"])
    running = game.status == "running"
    over = game.status in ("finished", "closed")
    with solara.Row():
        solara.Button(
            "Pause" if running else "Start",
            color="primary",
            disabled=over,
            on_click=lambda: act(game.pause if running else game.start),
            classes=["pax-class-start"],
        )
        solara.Button(
            "One quarter",
            outlined=True,
            disabled=over or running,
            on_click=lambda: act(game.step),
            classes=["pax-class-step"],
        )
        solara.Button(
            "End this round now",
            outlined=True,
            disabled=not game.waiting_for(),
            on_click=lambda: act(game.end_round),
            classes=["pax-class-end-round"],
        )
        solara.InputText("Seconds per round", value=timer, classes=["pax-class-timer-set"])
        solara.Button(
            "Set timer",
            text=True,
            classes=["pax-class-set-timer"],
            on_click=lambda: act(game.set_timer, timer.value.strip() or None),
        )
        solara.Button(
            "Hide the debrief" if show_debrief.value else "Debrief",
            text=True,
            on_click=lambda: show_debrief.set(not show_debrief.value),
            classes=["pax-class-debrief"],
        )
        if game.status != "closed":
            solara.Button(
                "Close the game",
                text=True,
                disabled=confirm.value,
                on_click=lambda: confirm.set(True),
                classes=["pax-class-close"],
            )
    if confirm.value and game.status != "closed":
        with solara.Row(classes=["pax-class-confirm"]):
            solara.Warning(
                "Close this game for everyone? Every seat goes back to its rules, the game "
                "stops and the students are told that the teacher closed it."
            )
            solara.Button(
                "Yes, close the game",
                color="error",
                on_click=close,
                classes=["pax-class-close-confirm"],
            )
            solara.Button(
                "Cancel",
                text=True,
                on_click=lambda: confirm.set(False),
                classes=["pax-class-close-cancel"],
            )
    if show_debrief.value or over:
        Debrief(game, key, version)
    with solara.Columns([1, 2]):
        with solara.Column():
            with solara.Card("Seats", margin=0):
                solara.HTML(tag="div", unsafe_innerHTML=seats_html(game))
            with solara.Card("In the classroom", margin=0):
                solara.HTML(tag="div", unsafe_innerHTML=notes_html(game))
        with solara.Column():
            with solara.Div(style=plot.GRID):
                GameChart(game, charts.membership_figure, steps, "pax-board-membership")
                GameChart(game, charts.network_figure, steps, "pax-board-network")
            GameChart(game, charts.supply_chain_figure, steps, "pax-board-supply")
            with solara.Card("Event log (newest first)", margin=0):
                solara.HTML(tag="div", unsafe_innerHTML=log, classes=["pax-event-log"])


@solara.component
def StudentSeat(session: Session, game: Game, version: int):
    actor = game.seat_of(session.holder)

    def take(a: str):
        name = session.name.value.strip()
        if not name:
            session.error.value = "name: type your name first, then take a seat"
            return
        try:
            game.take(a, session.holder, name)
            session.error.value = None
        except SeatError as e:
            session.error.value = str(e)

    solara.HTML(tag="div", unsafe_innerHTML=round_line(game), classes=["pax-round"])
    if actor is None:
        # every keystroke is kept in the session: a redraw (another student taking a seat)
        # never wipes what this student has typed
        solara.InputText(
            "Your name", value=session.name, continuous_update=True, classes=["pax-student-name"]
        )
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
    seat = game.seats[actor]
    with solara.Row():
        solara.HTML(
            tag="div",
            unsafe_innerHTML=(
                f"You are <b>{html.escape(seat.name)}</b>"
                + (
                    f" (<span class='pax-my-name'>{html.escape(seat.label)}</span>)"
                    if seat.label
                    else ""
                )
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
    router = solara.use_router()
    solara.Title("Pax Silica: classroom")
    # the page's link says which game and, with a key, that this is its teacher
    link = link_of(router.search)
    if link != session.linked:
        session.linked = link
        code, key = link
        session.code.value, session.key.value = code, key
        session.role.value = None if code is None else "teacher" if key else "student"
    code, role = session.code.value, session.role.value
    version = session.tick.value
    session.drawn = session.signature()  # what this render shows (see Session.poll)
    solara.lab.use_task(session.poll, dependencies=[code, role])

    def go(code: str | None, key: str | None) -> None:
        """Open a game's page (a teacher link with a key, a student link without)."""
        target = (
            "/classroom"
            if code is None
            else (teacher_link(code, key) if key else student_link(code))
        )
        router.push(router.root_path + target)

    with rv.Html(tag="div", style_="padding: 12px"):
        solara.HTML(
            tag="h1",
            unsafe_innerHTML="Pax Silica · classroom",
            style="margin: 0 0 8px 0; font-size: 1.5rem; font-weight: 500",
        )
        if session.error.value:
            solara.Error(session.error.value, classes=["pax-class-error"])
        if code is None:
            Lobby(session, version, go)
            return
        game, problem = None, None
        try:
            if role == "teacher":
                game = classroom().board(code, session.key.value)
            else:
                game = classroom().join(code)
                if game is None:
                    problem = classroom().closed_message(code) or (
                        f"Game {code} is not open yet: its teacher has not opened its board "
                        "since the server restarted."
                    )
        except (TeacherKeyError, SeatError, StoreError) as e:
            problem = str(e)
        with solara.Row():
            solara.Button(
                "Back to the list of games",
                text=True,
                classes=["pax-class-back"],
                on_click=lambda: (
                    game.leave(session.holder, "leaves the game") if game is not None else None,
                    session.error.set(None),
                    go(None, None),
                ),
            )
        if problem:
            solara.Error(problem, classes=["pax-class-denied"])
            return
        if role == "teacher":
            TeacherBoard(session, game, version)
        else:
            StudentSeat(session, game, version)
