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
import hashlib
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from agents.policy import Turn, check
from agents.rules import rule_choice
from model.choices import choice_data, choice_of, choice_summary
from model.model import PaxSilicaModel
from model.replicate import replicate
from model.run import series_of
from model.scenario import Scenario, ScenarioError, load_scenario
from server.classroom_store import Store, StoreError

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


class TeacherKeyError(PermissionError):
    """A teacher's action (or the board) asked for without the game's teacher key."""

    def __init__(self, game: str):
        super().__init__(f"This link has no teacher key for game {game}")
        self.game = game


def key_hash(key: str) -> str:
    """What is kept of a teacher key: its SHA-256, in hex."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    return secrets.token_urlsafe(16)


@dataclass
class Seat:
    actor: str
    name: str
    holder: str | None = None  # the browser session sitting here
    label: str = ""  # the student's name, as typed (while seated)
    last_seen: float = 0.0
    last_label: str = ""  # the name of the last student who sat here (kept when they go)


class Game:
    """One shared run of the model with seats for its deciding actors.

    The teacher's actions (:meth:`start`, :meth:`pause`, :meth:`step`, :meth:`set_timer`,
    :meth:`end_round`, :meth:`close`, :meth:`debrief`) take the game's teacher key as
    their first argument and raise :class:`TeacherKeyError` without it; the game keeps
    only the key's hash. Students' actions (take, leave, submit) need no key.

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
        title: the game's name as the teacher typed it (default: scenario and seed).
        key: the teacher key (default: a fresh one nobody knows); or ``hashed_key``, its
            :func:`key_hash` (a game rebuilt from the store).
        code: the game's code in its classroom; ``store``: where its seats, choices and
            state are written as they change (None: nowhere).
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
        key: str | None = None,
        hashed_key: str | None = None,
        code: str = "",
        store: Store | None = None,
    ):
        self.asks: frozenset[str] = frozenset()  # the seats, once they are checked
        self.code = code
        self.store: Store | None = None  # set at the end: nothing is written half-built
        self._key_hash = hashed_key or key_hash(key if key is not None else new_key())
        self.scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.params = dict(params or {})
        self.model = PaxSilicaModel(self.scenario, rng=seed, deciders=self, **self.params)
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
        self.store_error: str | None = None  # the last write to the store that failed
        self.closed_by: str | None = None
        self._ended_by_teacher = False  # the round under way was ended by the teacher
        self._by: dict[str, str] = {}  # this round: actor -> the student who chose
        # every seat's choice each quarter: (quarter, actor, chosen by ("" = the rules),
        # choice); rebuilt by replaying them (see replay)
        self.record: list[tuple[int, str, str, Any]] = []
        self._replay: dict[tuple[int, str], tuple[str, Any]] | None = None
        self._counterfactual: pd.DataFrame | None = None
        self.store = store

    # -- the teacher's key and the store -----------------------------------------------
    def is_teacher(self, key: Any) -> bool:
        """Whether ``key`` is this game's teacher key (compared in constant time)."""
        return isinstance(key, str) and secrets.compare_digest(key_hash(key), self._key_hash)

    def _teacher(self, key: Any) -> None:
        if not self.is_teacher(key):
            raise TeacherKeyError(self.code or self.title)

    def _persist(self, write: Callable[..., None], *args: Any) -> None:
        """Write to the store; a failed write is said on the board, the game goes on."""
        if self.store is None or not self.code:
            return
        try:
            write(self.code, *args)
            self.store_error = None
        except StoreError as e:
            self.store_error = str(e)

    def _save_state(self) -> None:
        if self.store is not None:
            self._persist(
                self.store.set_state, self.status, self.played, self.round_seconds, self.closed_by
            )

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
        if self.store is not None and self._replay is None:
            self._persist(self.store.add_note, len(self.notes) - 1, self.notes[-1])
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
    def start(self, key: str) -> None:
        """Run quarter after quarter (each waiting for its seats) until paused."""
        self._teacher(key)
        with self._cond:
            if self.status in ("finished", "closed"):
                return
            self.status = "running"
            self._ensure_thread()
            self._save_state()
            self._bump()
            self._cond.notify_all()

    def pause(self, key: str) -> None:
        """Stop after the quarter under way."""
        self._teacher(key)
        with self._cond:
            if self.status == "running":
                self.status = "paused"
                self._save_state()
                self._bump()

    def step(self, key: str) -> None:
        """Run one quarter, then pause."""
        self._teacher(key)
        with self._cond:
            if self.status in ("finished", "closed"):
                return
            if self.status == "open":
                self.status = "paused"
            self._one = True
            self._ensure_thread()
            self._save_state()
            self._bump()
            self._cond.notify_all()

    def set_timer(self, key: str, seconds: float | None) -> None:
        """Change the timer; a round under way gets the new time from now."""
        self._teacher(key)
        seconds = check_timer(seconds)
        with self._cond:
            self.round_seconds = seconds
            if self.pending:
                self.deadline = None if seconds is None else self.clock() + seconds
            self._save_state()
            self._bump()
            self._cond.notify_all()

    def end_round(self, key: str) -> None:
        """End the round now: whoever has not chosen follows the rules."""
        self._teacher(key)
        with self._cond:
            if self.pending:
                self._ended_by_teacher = True
                self.deadline = self.clock()
                self._cond.notify_all()

    def close(self, key: str, wait: float = 5.0) -> None:
        """Close the game: rounds under way are decided by rules, the thread stops."""
        self._teacher(key)
        with self._cond:
            self.status = "closed"
            self.closed_by = "the teacher"
            self._save_state()
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
            seat.last_label = label
            if self.store is not None:
                self._persist(self.store.set_seat, actor, label)
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
            self._by[actor] = self.seats[actor].label or "a student"
            self.seats[actor].last_seen = self.clock()
            self._note(f"{self.seats[actor].name} has chosen")
            self._cond.notify_all()

    # -- the model's deciders ---------------------------------------------------------
    def trusts(self, actor: str) -> bool:
        """Every answer from a game is checked (a student's when submitted, again here)."""
        return False

    def _record_round(self, turns: list[Turn], answers: dict[str, Any], by: dict[str, str]):
        """Keep every seat's choice of this round (and write them in one transaction)."""
        q = self.model.steps  # the quarter under way
        rows = [
            (t.actor, by.get(t.actor, ""), answers[t.actor]) for t in turns if t.actor in self.seats
        ]
        self.record.extend((q, a, who, c) for a, who, c in rows)
        if self.store is not None and self._replay is None and rows:
            self._persist(
                self.store.add_choices, q, [(a, who, choice_data(c)) for a, who, c in rows]
            )

    def decide_round(self, turns: list[Turn]) -> dict[str, Any]:
        """A round of the model's turns: rules for the unseated, wait for the seated."""
        if self._replay is not None:  # rebuilding a stored game: its choices, no waiting
            q = self.model.steps
            kept = {t.actor: self._replay.get((q, t.actor)) for t in turns}
            answers = {
                t.actor: rule_choice(t) if kept[t.actor] is None else kept[t.actor][1]
                for t in turns
            }
            self._record_round(turns, answers, {a: k[0] for a, k in kept.items() if k})
            return answers
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
                self._record_round(turns, answers, {})
                return answers
            self.pending, self.answers, self._by = seated, {}, {}
            self._ended_by_teacher = False
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
                        names = [self.seats[a].name for a in missing]
                        why = (
                            "round ended by the teacher" if self._ended_by_teacher else "time is up"
                        )
                        self._note(
                            f"{why}: {', '.join(names)} "
                            + ("follows its rules" if len(names) == 1 else "follow their rules")
                        )
                    break
                self._cond.wait(WAIT_TICK)
            answers.update(self.answers)
            self._record_round(turns, answers, self._by)
            self.pending, self.answers, self.deadline, self._by = {}, {}, None, {}
            self._ended_by_teacher = False
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
                self._save_state()
                self._bump()
                self._cond.notify_all()


def _replay_into(game: Game, played: int, choices: dict[tuple[int, str], tuple[str, Any]]):
    """Run ``played`` quarters of ``game`` with the stored choices (the rules for any
    turn with none), synchronously, before anyone can see it."""
    game._replay = choices
    try:
        for _ in range(played):
            if not game.model.running:
                break
            game.model.step()
            game.played += 1
    finally:
        game._replay = None


def debrief(game: Game, key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The teacher's debrief: (every seat's choice by quarter, the game beside the same
    seed run by the rules quarter by quarter).

    The counterfactual is the model's own run (``model.replicate``, as ``pax-silica
    play --compare`` runs it): same scenario, seed and parameters, every actor on its
    rules. Columns ``<x>_game`` and ``<x>_rules`` for members, participants, defectors,
    credibility and capital committed; quarters the game has not played are blank."""
    game._teacher(key)
    if game.model.rng_seed is None:
        raise SeatError("debrief: this game has no whole-number seed to run again")
    with game.reading() as m:
        played = series_of(m)
        with game._cond:  # a round may be recorded while the model waits for students
            record = list(game.record)
        names = {a: s.name for a, s in game.seats.items()}
        rows = [
            {
                "quarter": q,
                "when": m.when(q),
                "seat": a,
                "actor": names.get(a, a),
                "chosen_by": who or "rules",
                "choice": choice_summary(c),
            }
            for q, a, who, c in record
        ]
    if game._counterfactual is None:
        rules = next(replicate(game.scenario, [game.model.rng_seed], collect=True, **game.params))
        game._counterfactual = series_of(rules)
    cols = ["members", "participants", "defectors", "credibility", "capital_committed"]
    side = game._counterfactual[["quarter", "when", *cols]].merge(
        played[["quarter", *cols]], on="quarter", how="left", suffixes=("_rules", "_game")
    )
    order = ["quarter", "when"] + [f"{c}_{w}" for c in cols for w in ("game", "rules")]
    choices = pd.DataFrame(
        rows, columns=["quarter", "when", "seat", "actor", "chosen_by", "choice"]
    )
    return choices, side[order]


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


# -- the classroom: the games of this server, kept in the store -------------------------
class Classroom:
    """The shared games of one server, each kept in the store as it changes.

    :meth:`open` makes a game and its teacher key (returned once; the store keeps its
    hash). A game lives in memory while the server runs; after a restart the store still
    lists it, and the teacher's link (:meth:`board` with the key) rebuilds it by replaying
    its stored choices on its seed. Students (:meth:`join`) need no key and get no
    teacher rights: every teacher action of a :class:`Game` asks for the key itself.
    """

    def __init__(
        self, store: Store | str | Path | None = None, seat_timeout: float | None = SEAT_TIMEOUT
    ):
        self.store = store if isinstance(store, Store) else Store(store)
        self.seat_timeout = seat_timeout
        self.games: dict[str, Game] = {}  # in memory: opened or resumed since the start
        self._lock = threading.Lock()

    def _new_code(self) -> str:
        taken = set(self.games) | set(self.store.games(include_closed=True))
        code = secrets.token_hex(2).upper()
        while code in taken:
            code = secrets.token_hex(2).upper()
        return code

    def open(
        self,
        scenario: Any = "baseline",
        seed: Any = None,
        round_seconds: float | None = None,
        seats: Iterable[str] | None = None,
        params: dict | None = None,
        title: str = "",
    ) -> tuple[str, str, Game]:
        """Open a game; returns (its code, its teacher key, the game). A blank seed is
        drawn at random (and kept, so the game can be rebuilt)."""
        scen = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        if seed is None or (isinstance(seed, str) and not seed.strip()):
            seed = secrets.randbelow(2**31)
        key = new_key()
        with self._lock:
            code = self._new_code()
            game = Game(
                scen,
                seed=seed,
                round_seconds=round_seconds,
                seats=seats,
                params=params,
                seat_timeout=self.seat_timeout,
                title=title.strip(),
                key=key,
                code=code,
            )
            self.store.add_game(
                code,
                game.title,
                scen.name,
                game.model.rng_seed,
                game.params,
                list(game.seats),
                game.round_seconds,
                key_hash(key),
            )
            game.store = self.store
            self.games[code] = game
        return code, key, game

    def listing(self) -> dict[str, dict[str, Any]]:
        """The games not closed, oldest first: each with ``game`` (in memory, or None
        until its teacher opens the board after a restart) and the stored row."""
        stored = self.store.games()
        with self._lock:
            out = {}
            for code, row in stored.items():
                game = self.games.get(code)
                if game is not None and game.status == "closed":
                    continue
                out[code] = {**row, "game": game}
            return out

    def join(self, code: str) -> Game | None:
        """The game a student may join (None: no such game, closed, or not yet resumed)."""
        with self._lock:
            game = self.games.get(code)
        return game if game is not None and game.status != "closed" else None

    def board(self, code: str, key: str) -> Game:
        """The teacher's game: ``TeacherKeyError`` without its key; a game only in the
        store (the server restarted) is rebuilt from its choices."""
        with self._lock:
            game = self.games.get(code)
            if game is not None:
                game._teacher(key)
                return game
            row = self.store.game(code)
            if row is None:
                raise SeatError(f"game {code}: there is no such game")
            if not (
                isinstance(key, str) and secrets.compare_digest(key_hash(key), row["key_hash"])
            ):
                raise TeacherKeyError(code)
            game = self._rebuild(row)
            self.games[code] = game
            return game

    def _rebuild(self, row: dict[str, Any]) -> Game:
        code = row["code"]
        try:
            game = Game(
                row["scenario"],
                seed=row["seed"],
                round_seconds=row["round_seconds"],
                seats=row["seats"],
                params=row["params"],
                seat_timeout=self.seat_timeout,
                title=row["title"],
                hashed_key=row["key_hash"],
                code=code,
            )
            played = int(row["played"])
            kept = {(q, a): (who, choice_of(c)) for q, a, who, c in row["choices"] if q <= played}
        except (ScenarioError, SeatError, ValueError) as e:
            raise StoreError(f"classroom database {self.store.path}: game {code}: {e}") from None
        _replay_into(game, played, kept)
        for actor, label in row["labels"].items():
            if actor in game.seats:
                game.seats[actor].last_label = label
        game.notes = list(row["notes"])
        game.closed_by = row["closed_by"]
        if row["status"] == "closed":
            game.status = "closed"
        elif not game.model.running:
            game.status = "finished"
        else:
            game.status = "paused" if game.played else "open"
        game.store = self.store
        game._note(f"the server restarted; the game resumes after {game.played} quarters")
        game._save_state()
        return game

    def close(self, code: str, key: str) -> None:
        """Close a game (its key needed); it stays readable for the debrief."""
        game = self.board(code, key)
        game.close(key)

    def closed_message(self, code: str) -> str | None:
        """Why a game is gone, truthfully (None: it is not closed)."""
        with self._lock:
            game = self.games.get(code)
        if game is not None and game.status == "closed":
            return f"The game was closed by {game.closed_by or 'its teacher'}."
        row = self.store.game(code)
        if row is not None and row["status"] == "closed":
            return f"The game was closed by {row['closed_by'] or 'its teacher'}."
        if row is None and game is None:
            return "There is no such game."
        return None


_CLASSROOM: Classroom | None = None
_CLASSROOM_LOCK = threading.Lock()


def classroom() -> Classroom:
    """This server's classroom, its store at ``PAX_SILICA_CLASSROOM_DB`` (or
    ``.pax-silica/classroom.sqlite``), made on first use (``StoreError`` if the file
    cannot hold a database)."""
    global _CLASSROOM
    with _CLASSROOM_LOCK:
        if _CLASSROOM is None:
            try:
                timeout = max(1.0, float(os.environ.get("PAX_SEAT_TIMEOUT", SEAT_TIMEOUT)))
            except ValueError:
                timeout = SEAT_TIMEOUT
            _CLASSROOM = Classroom(seat_timeout=timeout)
        return _CLASSROOM
