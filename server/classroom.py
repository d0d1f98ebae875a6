"""A shared game with seats: the engine behind classroom mode and the app's play mode.

In the spirit of NetLogo's HubNet, a teacher opens one game and each student's browser
takes a *seat*: one actor (the US, China, Russia, Brazil, the EU, or a state that may sign
or leave). The model runs in a background thread and asks for decisions in rounds
(``agents.policy.Turn``: the US, then China, then the other pressurers, then the states);
a round waits until every *seated* actor in it has chosen, or the teacher's timer runs
out, or the teacher ends it. Unseated actors, seats whose time ran out and seats whose
student left follow the actor's rules (``agents.rules.rule_choice``), so a classroom run
in which every student takes the advice is the model's own run, quarter for quarter.

A ``Game`` is the model's deciders (``agents.policy.Deciders``): the model is built with
``deciders=game`` and hands it each round. Pages read the model only at quiet points
(:class:`Quiet`): between quarters, or while a round waits for students.

The engine knows nothing of Solara: pages poll :attr:`Game.version` and read the model
inside :meth:`Game.reading`. Every choice is checked by the model's own rules
(``agents.policy.check``) before it is accepted; a refused choice raises ``PolicyError``
with one message and the student can choose again.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from agents.policy import Turn, check
from agents.rules import rule_choice
from model.model import PaxSilicaModel

SEAT_TIMEOUT = 20.0  # seconds without a heartbeat before a seat counts as left
WAIT_TICK = 0.2  # how often a waiting round checks its timer and the seats


class Quiet:
    """When pages may read a model that another thread steps.

    The game thread marks the stretches in which the model computes (:meth:`computing`);
    a reader (:meth:`reading`) waits until the model is quiet -- between quarters, or
    while a round of decisions waits for students -- and the model does not compute
    again until its readers are done."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._computing = False
        self._readers = 0

    @contextlib.contextmanager
    def computing(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: self._readers == 0)
            self._computing = True
        try:
            yield
        finally:
            with self._cond:
                self._computing = False
                self._cond.notify_all()

    @contextlib.contextmanager
    def waiting(self) -> Iterator[None]:
        """A stretch inside a computation in which the model waits and may be read."""
        with self._cond:
            was, self._computing = self._computing, False
            self._cond.notify_all()
        try:
            yield
        finally:
            if was:
                with self._cond:
                    self._cond.wait_for(lambda: self._readers == 0)
                    self._computing = True

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._computing)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()


class SeatError(ValueError):
    """A seat that cannot be taken, or a choice from someone without a seat."""


@dataclass
class Seat:
    actor: str
    name: str
    holder: str | None = None  # the browser session sitting here
    label: str = ""  # the student's name, as typed
    last_seen: float = 0.0


class Game:
    """One shared run of the model with seats for its deciding actors.

    Args:
        scenario: a preset name, a scenario file or a ``Scenario``.
        seed: the run's seed (same seed and same choices, same run).
        round_seconds: the teacher's timer for each round of choices; ``None`` waits
            until every seated actor has chosen.
        seats: the actors offered as seats (default: every actor that can decide).
        params: parameter overrides, as for ``PaxSilicaModel``.
        seat_timeout: seconds without a heartbeat after which a seat counts as left
            (``None``: seats are only left explicitly).
        clock: the time source (tests pass a fake one).
    """

    def __init__(
        self,
        scenario: Any = "baseline",
        seed: Any = 0,
        round_seconds: float | None = None,
        seats: Iterable[str] | None = None,
        params: dict | None = None,
        seat_timeout: float | None = SEAT_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
        title: str = "",
    ):
        self.asks: frozenset[str] = frozenset()  # the seats, once they are checked
        self.model = PaxSilicaModel(scenario, rng=seed, deciders=self, **(params or {}))
        seatable = self.model.seatable()
        offered = seatable if seats is None else list(seats)
        unknown = [a for a in offered if a not in seatable]
        if unknown or not offered:
            raise SeatError(
                f"seats: {', '.join(unknown) or 'none given'}: expected some of "
                f"{', '.join(seatable)}"
            )
        self.asks = frozenset(offered)  # their turns come to this game
        self.title = title or f"{self.model.scenario.name}, seed {seed}"
        self.seed = seed
        names = {s.code: s.name for s in self.model.states}
        self.seats = {a: Seat(a, names.get(a, a)) for a in offered}
        self.round_seconds = check_timer(round_seconds)
        self.seat_timeout = seat_timeout
        self.clock = clock
        self.status = "open"  # open (not started), running, paused, finished, closed
        self.pending: dict[str, Turn] = {}  # this round's turns for seated actors
        self.answers: dict[str, Any] = {}
        self.deadline: float | None = None
        self.rounds = 0
        self.played = 0  # quarters completed (model.steps counts the one under way too)
        self.version = 0  # bumped on every change pages should show
        self.notes: list[str] = []  # the classroom's own log: who chose, who left
        self._cond = threading.Condition()
        self._quiet = Quiet()
        self._one = False  # run one quarter, then pause
        self._thread: threading.Thread | None = None
        self.error: str | None = None

    # -- reading ----------------------------------------------------------------------
    @contextlib.contextmanager
    def reading(self) -> Iterator[PaxSilicaModel]:
        """The model, between computations (never half-way through a phase)."""
        with self._quiet.reading():
            yield self.model

    def _bump(self) -> None:
        self.version += 1

    def _note(self, text: str) -> None:
        self.notes.append(f"{self.model.when()}: {text}")
        self._bump()

    def time_left(self) -> float | None:
        """Seconds left in this round on the teacher's timer (None: no timer or no
        round waiting)."""
        if self.deadline is None or not self.pending:
            return None
        return max(0.0, self.deadline - self.clock())

    def waiting_for(self) -> list[str]:
        """Seated actors this round still waits for."""
        with self._cond:
            return [a for a in self.pending if a not in self.answers]

    # -- the teacher ------------------------------------------------------------------
    def start(self) -> None:
        """Run quarter after quarter (each waiting for its seats) until paused."""
        with self._cond:
            if self.status in ("finished", "closed"):
                return
            self.status = "running"
            self._ensure_thread()
            self._bump()
            self._cond.notify_all()

    def pause(self) -> None:
        """Stop after the quarter under way."""
        with self._cond:
            if self.status == "running":
                self.status = "paused"
                self._bump()

    def step(self) -> None:
        """Run one quarter, then pause."""
        with self._cond:
            if self.status in ("finished", "closed"):
                return
            if self.status == "open":
                self.status = "paused"
            self._one = True
            self._ensure_thread()
            self._bump()
            self._cond.notify_all()

    def set_timer(self, seconds: float | None) -> None:
        """Change the timer; a round under way gets the new time from now."""
        seconds = check_timer(seconds)
        with self._cond:
            self.round_seconds = seconds
            if self.pending:
                self.deadline = None if seconds is None else self.clock() + seconds
            self._bump()
            self._cond.notify_all()

    def end_round(self) -> None:
        """End the round now: whoever has not chosen follows the rules."""
        with self._cond:
            if self.pending:
                self.deadline = self.clock()
                self._cond.notify_all()

    def close(self, wait: float = 5.0) -> None:
        """Close the game: rounds under way are decided by rules, the thread stops."""
        with self._cond:
            self.status = "closed"
            self._bump()
            self._cond.notify_all()
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(wait)

    def wait_until(self, predicate: Callable[[Game], bool], timeout: float = 10.0) -> bool:
        """Block until ``predicate(game)`` holds (for scripts and tests)."""
        end = time.monotonic() + timeout
        with self._cond:
            while not predicate(self):
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, WAIT_TICK))
        return True

    # -- seats ------------------------------------------------------------------------
    def take(self, actor: str, holder: str, label: str = "") -> Seat:
        """Seat ``holder`` (a browser session) as ``actor``; a holder has one seat."""
        with self._cond:
            seat = self.seats.get(actor)
            if seat is None:
                raise SeatError(
                    f"seat: {actor!r} is not a seat in this game; expected one "
                    f"of {', '.join(self.seats)}"
                )
            if seat.holder not in (None, holder):
                raise SeatError(f"seat: {seat.name} is taken by {seat.label or 'another student'}")
            for other in self.seats.values():
                if other.holder == holder and other is not seat:
                    self._free(other, "moves seat")
            seat.holder, seat.label, seat.last_seen = holder, label, self.clock()
            self._note(f"{label or 'a student'} takes the seat of {seat.name}")
            self._cond.notify_all()
            return seat

    def leave(self, holder: str, why: str = "leaves") -> None:
        """Free ``holder``'s seat; a decision it owes this round follows the rules."""
        with self._cond:
            for seat in self.seats.values():
                if seat.holder == holder:
                    self._free(seat, why)
            self._cond.notify_all()

    def heartbeat(self, holder: str) -> None:
        """A page says its student is still there."""
        with self._cond:
            for seat in self.seats.values():
                if seat.holder == holder:
                    seat.last_seen = self.clock()

    def seat_of(self, holder: str) -> str | None:
        for seat in self.seats.values():
            if seat.holder == holder:
                return seat.actor
        return None

    def _free(self, seat: Seat, why: str) -> None:
        who = seat.label or "the student"
        seat.holder, seat.label = None, ""
        turn = self.pending.get(seat.actor)
        if turn is not None and seat.actor not in self.answers:
            self.answers[seat.actor] = rule_choice(turn)
            self._note(f"{who} {why}; {seat.name} follows its rules this round")
        else:
            self._note(f"{who} {why}; {seat.name} follows its rules from now on")

    def _reap(self) -> None:
        if self.seat_timeout is None:
            return
        now = self.clock()
        for seat in self.seats.values():
            if seat.holder is not None and now - seat.last_seen > self.seat_timeout:
                self._free(seat, "has gone (no word from the page)")

    # -- decisions --------------------------------------------------------------------
    def turn_for(self, actor: str) -> Turn | None:
        """The turn ``actor`` owes this round, if it has not chosen yet."""
        with self._cond:
            if actor in self.pending and actor not in self.answers:
                return self.pending[actor]
            return None

    def submit(self, holder: str, choice: Any) -> None:
        """Accept a seated student's choice for this round, checked by the model's rules
        (``PolicyError`` if refused; the student may choose again)."""
        with self._cond:
            actor = self.seat_of(holder)
            if actor is None:
                raise SeatError("seat: you have no seat in this game; take one first")
            turn = self.pending.get(actor)
            if turn is None or actor in self.answers:
                raise SeatError(f"turn: {self.seats[actor].name} has no decision to make now")
            check(turn, choice)
            self.answers[actor] = choice
            self.seats[actor].last_seen = self.clock()
            self._note(f"{self.seats[actor].name} has chosen")
            self._cond.notify_all()

    # -- the model's deciders ---------------------------------------------------------
    def trusts(self, actor: str) -> bool:
        """Every answer from a game is checked (a student's when submitted, again here)."""
        return False

    def decide_round(self, turns: list[Turn]) -> dict[str, Any]:
        """A round of the model's turns: rules for the unseated, wait for the seated."""
        with self._cond:
            self._reap()
            seated = {
                t.actor: t
                for t in turns
                if t.actor in self.seats and self.seats[t.actor].holder is not None
            }
            answers = {t.actor: rule_choice(t) for t in turns if t.actor not in seated}
            if not seated or self.status == "closed":
                answers.update({a: rule_choice(t) for a, t in seated.items()})
                return answers
            self.pending, self.answers = seated, {}
            self.deadline = (
                None if self.round_seconds is None else self.clock() + self.round_seconds
            )
            self.rounds += 1
            self._bump()
            self._cond.notify_all()
        with self._quiet.waiting(), self._cond:  # pages may read the model meanwhile
            while True:
                self._reap()
                missing = [a for a in self.pending if a not in self.answers]
                if not missing:
                    break
                if self.status == "closed" or (
                    self.deadline is not None and self.clock() >= self.deadline
                ):
                    for a in missing:
                        self.answers[a] = rule_choice(self.pending[a])
                    if self.status != "closed":
                        self._note(
                            "time is up: "
                            + ", ".join(self.seats[a].name for a in missing)
                            + " follow their rules"
                        )
                    break
                self._cond.wait(WAIT_TICK)
            answers.update(self.answers)
            self.pending, self.answers, self.deadline = {}, {}, None
            self._bump()
            self._cond.notify_all()
        return answers

    # -- the game thread --------------------------------------------------------------
    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="pax-classroom", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while self.status in ("open", "paused") and not self._one:
                    self._reap()
                    self._cond.wait(WAIT_TICK)
                if self.status in ("closed", "finished"):
                    return
                self._one = False
            try:
                with self._quiet.computing():
                    self.model.step()
            except Exception as e:  # a model bug: stop the game and say so on every page
                with self._cond:
                    self.error = f"The model failed in {self.model.when()}: {e}"
                    self.status = "finished"
                    self._bump()
                    self._cond.notify_all()
                return
            with self._cond:
                self.played += 1
                if not self.model.running:
                    self.status = "finished"
                    self._note("the game is over")
                self._bump()
                self._cond.notify_all()


def check_timer(seconds: Any) -> float | None:
    """The teacher's timer: None (no timer) or a positive number of seconds."""
    if seconds is None:
        return None
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        raise SeatError(f"timer: expected a number of seconds, got {seconds!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise SeatError(f"timer: expected a positive number of seconds, got {seconds!r}")
    return value


# -- the open games of this server (a teacher opens one, students find it) ----------------
GAMES: dict[str, Game] = {}
_GAMES_LOCK = threading.Lock()


def open_game(**kwargs: Any) -> tuple[str, Game]:
    """Open a shared game; returns its code (what students pick) and the game."""
    game = Game(**kwargs)
    with _GAMES_LOCK:
        code = secrets.token_hex(2).upper()
        while code in GAMES:
            code = secrets.token_hex(2).upper()
        GAMES[code] = game
    return code, game


def close_game(code: str) -> None:
    with _GAMES_LOCK:
        game = GAMES.pop(code, None)
    if game is not None:
        game.close()


def open_games() -> dict[str, Game]:
    with _GAMES_LOCK:
        return {c: g for c, g in GAMES.items() if g.status != "closed"}
