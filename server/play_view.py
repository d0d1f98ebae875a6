"""The app's Play tab: play the United States or China against the model's rules.

The student picks a side, a scenario, a seed (and, if they like, fewer quarters) and
presses Start. The page opens a private :class:`server.classroom.Game` with one seat,
that side's, and seats this browser session in it; every other actor follows its rules.
Each quarter the game waits for the student's decision (:mod:`server.seat_view`); the
page polls the game's ``version`` a few times a second and redraws the charts, the status
line and the event log from the model, read inside ``game.reading()``.

At the end the page scores the game (``model.score``) next to the rule-based actor on the
same scenario and seed (``model.score.compare``, as ``pax-silica play`` does): a
student who always takes the advisers' advice gets exactly the rule-based score. Quit
(or a new game, or closing the page) closes the game and its thread.
"""

from __future__ import annotations

import html
import secrets
import time

import solara
import solara.lab

from model.scenario import ScenarioError, preset_names
from model.score import compare
from server import charts, controls, plot
from server.classroom import Game, SeatError
from server.seat_view import DecisionPanel, GameChart
from server.status import event_log_html, status_line

POLL = 0.25  # seconds between looks at the game
SIDES = {"the United States": ("us", "USA"), "China": ("china", "CHN")}


class PlaySession:
    """One browser session's game in the Play tab."""

    def __init__(self):
        self.holder = secrets.token_hex(8)
        self.key = secrets.token_urlsafe(16)  # this page is the teacher of its own games
        self.game = solara.reactive(None)  # Game | None
        self.setup = None  # (scenario, side, seed) of the game on screen
        self.version = solara.reactive(0)  # the game's version last seen
        self.error = solara.reactive(None)
        self.result = solara.reactive(None)  # (headline html, compare's text)
        # the start form's values, kept from one game to the next
        self.side = solara.reactive("the United States")
        self.scenario = solara.reactive("baseline")
        self.seed = solara.reactive("0")
        self.quarters = solara.reactive("")

    def start(self, side_label: str, scenario: str, seed_text: str, quarters: str) -> None:
        self.quit()
        side, actor = SIDES[side_label]
        try:
            scen = controls.load(scenario)  # by name: never a path the page sends
            if quarters.strip():
                scen = scen.with_overrides([f"steps={quarters.strip()}"])
            seed = seed_text.strip() or str(secrets.randbelow(2**31))
            game = Game(
                scen,
                seed=seed,
                seats=[actor],
                seat_timeout=None,
                title=f"{scen.name}, seed {seed}",
                key=self.key,
            )
        except (ScenarioError, SeatError) as e:
            self.error.value = str(e)
            return
        game.take(actor, self.holder, "you")
        self.setup = (scen, side, game.model.rng_seed)
        self.error.value = None
        self.result.value = None
        self.version.value = game.version
        self.game.value = game
        game.start(self.key)

    def quit(self) -> None:
        self.close()
        self.game.value = None
        self.result.value = None

    def close(self) -> None:
        """Close the game on screen (its thread stops), leaving the page as it is."""
        game = self.game.value
        if game is not None and game.status != "closed":
            game.close(self.key)

    def score(self, game: Game) -> tuple[str, str]:
        """The finished game's score beside the rule-based actor's on the same seed."""
        scen, side, seed = self.setup
        with game.reading() as m:
            text, mine, rule = compare(scen, side, seed, 1, m)
        label = "US" if side == "us" else "China"
        verdict = text.splitlines()[-1]
        head = (
            f"Your score ({label}): <b>{mine[side]:.1f}</b> · the rule-based {label} on "
            f"seed {seed}: <b>{rule[side]:.1f}</b> · {html.escape(verdict)}"
        )
        return head, text

    def poll(self, is_current) -> None:
        """Runs in a background task: follow the game until it is over, the page is closed
        or the task is replaced; a game left behind is closed."""
        from solara.server import kernel_context

        game = self.game.value
        if game is None:
            return
        ctx = kernel_context.get_current_context() if kernel_context.has_current_context() else None
        while True:
            gone = ctx is not None and ctx.closed_event.is_set()
            if gone or not is_current() or self.game.value is not game:
                if game.status not in ("finished", "closed"):
                    game.close(self.key)
                return
            over = game.status in ("finished", "closed")
            if over:
                game.wait_until(lambda g: True, timeout=1.0)  # its last change is made
                if game.status == "finished" and not game.error and self.result.value is None:
                    self.result.value = self.score(game)
            if game.version != self.version.value:
                self.version.value = game.version
            if over:
                return
            time.sleep(POLL)


@solara.component
def StartForm(session: PlaySession):
    side, scenario, seed, quarters = (
        session.side,
        session.scenario,
        session.seed,
        session.quarters,
    )
    solara.Markdown(
        "**Play a government.** Choose the United States or China and decide its levers "
        "each quarter; every other actor follows the model's rules. Each decision starts "
        "from your advisers' advice (the rule-based choice): take it, or change it within "
        "the same budgets and rules. At the end your score is set beside the rule-based "
        "actor's on the same scenario and seed."
    )
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.ToggleButtonsSingle(value=side, values=list(SIDES), classes=["pax-play-side"])
        solara.Select(
            "Scenario",
            value=scenario,
            values=preset_names(),
            classes=["pax-play-scenario"],
            style={"max-width": "220px"},
        )
        solara.InputText(
            "Seed (blank: a random one)",
            value=seed,
            continuous_update=True,
            classes=["pax-play-seed"],
            style={"max-width": "160px"},
        )
        solara.InputText(
            "Quarters (blank: the scenario's)",
            value=quarters,
            continuous_update=True,
            classes=["pax-play-quarters"],
            style={"max-width": "200px"},
        )
        solara.Button(
            "Start",
            color="primary",
            icon_name="mdi-play",
            on_click=lambda: session.start(side.value, scenario.value, seed.value, quarters.value),
            classes=["pax-play-start"],
        )


@solara.component
def PlayView():
    """The Play tab: a start form, then the game beside its charts, then the score."""
    session = solara.use_memo(PlaySession, [])
    game = session.game.value
    version = session.version.value
    task = solara.lab.use_task(lambda: session.poll(lambda: task.is_current()), dependencies=[game])
    solara.use_effect(lambda: session.close, [])  # the page goes: close its game
    if session.error.value:
        solara.Error(session.error.value, classes=["pax-play-error"])
    if game is not None and game.error:
        solara.Error(game.error, classes=["pax-play-error"])
    if game is None:
        StartForm(session)
        return
    scen, side, seed = session.setup
    with game.reading() as m:
        steps = m.steps
        status = status_line(m)
        log = event_log_html(m, limit=60)
        supply_key = charts.supply_chain_key(m)
        events = len(m.events)
    who = "the United States" if side == "us" else "China"
    with solara.Row(style={"align-items": "center"}):
        solara.HTML(
            tag="div",
            unsafe_innerHTML=(
                f"You play <b>{who}</b> · scenario {html.escape(scen.name)} · seed {seed}"
            ),
            classes=["pax-play-who"],
        )
        solara.Button(
            "Quit" if game.status not in ("finished", "closed") else "New game",
            outlined=True,
            on_click=session.quit,
            classes=["pax-play-quit"],
        )
    if session.result.value is not None:
        head, text = session.result.value
        solara.HTML(
            tag="div",
            unsafe_innerHTML=head,
            classes=["pax-play-score"],
            style="font-size: 1.1em; margin: 6px 0; padding: 8px; "
            "background: #eef5ff; border-radius: 4px",
        )
        solara.HTML(
            tag="pre",
            unsafe_innerHTML=html.escape(text),
            classes=["pax-play-report"],
            style="white-space: pre-wrap; font-size: 0.8em; background: #f3f3f3; "
            "padding: 6px; border-radius: 4px",
        )
    solara.HTML(
        tag="div", unsafe_innerHTML=status, classes=["pax-play-status"], style="margin: 4px 0 8px 0"
    )
    with solara.Columns([2, 3]):
        DecisionPanel(game, session.holder, version)
        with solara.Column():
            with solara.Div(style=plot.GRID):
                GameChart(game, charts.membership_figure, steps, "pax-play-membership")
                GameChart(game, charts.capital_figure, steps, "pax-play-capital")
            GameChart(game, charts.supply_chain_figure, supply_key, "pax-play-supply")
            with solara.Card(f"Event log ({events} events, newest first)", margin=0):
                solara.HTML(tag="div", unsafe_innerHTML=log, classes=["pax-play-events"])
