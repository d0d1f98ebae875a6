"""Classroom mode's engine (server/classroom.py): seats, rounds, timers, leaving.

The browser side is tested in test_app_classroom.py; here students are threads."""

from __future__ import annotations

import threading

import pytest

from agents.policy import (
    ChinaChoice,
    LeaderChoice,
    MemberChoice,
    PolicyError,
)
from agents.rules import rule_choice
from model.model import PaxSilicaModel
from model.run import series_of
from server.classroom import Game, SeatError, check_timer

SHORT = {"steps": 6}
KEY = "the-teachers-key"


class Student(threading.Thread):
    """Sits at a seat and answers each turn with ``choose(turn)`` (default: the advice)."""

    def __init__(self, game: Game, actor: str, choose=rule_choice, quit_after: int | None = None):
        super().__init__(daemon=True)
        self.game, self.actor, self.choose, self.quit_after = game, actor, choose, quit_after
        self.holder = f"session-{actor}"
        self.answered = 0
        game.take(actor, self.holder, label=f"student {actor}")

    def run(self) -> None:
        g = self.game
        while g.status not in ("finished", "closed"):
            if self.quit_after is not None and self.answered >= self.quit_after:
                g.leave(self.holder)
                return
            g.wait_until(
                lambda g: g.turn_for(self.actor) is not None or g.status in ("finished", "closed"),
                timeout=0.5,
            )
            turn = g.turn_for(self.actor)
            if turn is not None:
                g.submit(self.holder, self.choose(turn))
                self.answered += 1


def finish(game: Game, students: list[Student], timeout: float = 60.0) -> None:
    game.start(KEY)
    assert game.wait_until(lambda g: g.status == "finished", timeout), game.notes[-5:]
    for s in students:
        s.join(5)


def same_run(a: PaxSilicaModel, b: PaxSilicaModel) -> None:
    assert series_of(a).equals(series_of(b))
    assert [e.text for e in a.events] == [e.text for e in b.events]


def rules_run(scenario: str, seed: int) -> PaxSilicaModel:
    """The model's own run: every actor on its rules."""
    m = PaxSilicaModel(scenario, rng=seed, **SHORT)
    m.run()
    return m


def test_every_seat_taking_the_advice_is_the_models_own_run():
    game = Game("invitation", seed=3, params=SHORT, key=KEY)
    seats = ["USA", "CHN", "RUS", "BRA", "JPN", "KOR", "TWN", "NLD"]
    students = [Student(game, a) for a in seats]
    for s in students:
        s.start()
    finish(game, students)
    ref = rules_run("invitation", 3)
    same_run(game.model, ref)
    # each quarter asked the US and China; the states' round came every quarter too
    by = {s.actor: s.answered for s in students}
    assert by["USA"] == by["CHN"] == SHORT["steps"]
    assert by["JPN"] == SHORT["steps"] and by["RUS"] == SHORT["steps"]
    assert game.rounds >= 4 * SHORT["steps"]


def test_a_students_choice_changes_the_run():
    game = Game("baseline", seed=0, params=SHORT, key=KEY)
    leaver = Student(game, "KOR", choose=lambda t: MemberChoice("leave"))
    leaver.start()
    finish(game, [leaver])
    kor = game.model.by_id["KOR"]
    assert kor.status == "defected"
    assert any(
        e.kind == "defection" and e.actor == "KOR" and e.quarter == 1 for e in game.model.events
    )
    ref = rules_run("baseline", 0)
    assert not any(
        e.kind == "defection" and e.actor == "KOR" and e.quarter == 1 for e in ref.events
    )


def test_a_seat_that_leaves_falls_back_to_its_rules():
    game = Game("baseline", seed=5, params=SHORT, key=KEY)
    quitter = Student(game, "USA", quit_after=2)
    quitter.start()
    finish(game, [quitter])
    assert quitter.answered == 2
    assert game.seats["USA"].holder is None
    assert any("follows its rules" in n for n in game.notes)
    ref = rules_run("baseline", 5)
    same_run(game.model, ref)


def test_a_student_who_goes_silent_mid_round_is_replaced_by_rules():
    game = Game("baseline", seed=1, params=SHORT, key=KEY)
    game.take("CHN", "tab-1", "Mei")
    game.step(KEY)
    assert game.wait_until(lambda g: g.turn_for("CHN") is not None)
    game.leave("tab-1")  # the tab closes while China's turn is open
    assert game.wait_until(lambda g: g.status == "paused" and g.model.steps == 1)
    assert any("Mei leaves; China follows its rules this round" in n for n in game.notes)


def test_the_teachers_timer_ends_a_round_with_the_rules():
    game = Game("baseline", seed=2, round_seconds=0.3, params=SHORT, key=KEY)
    game.take("USA", "tab-us", "Ada")  # Ada never chooses
    finish(game, [], timeout=30)
    assert (
        sum("time is up: United States follows its rules" in n for n in game.notes)
        == SHORT["steps"]
    )
    ref = rules_run("baseline", 2)
    same_run(game.model, ref)


def test_the_teacher_can_end_a_round_and_step_one_quarter_at_a_time():
    game = Game("baseline", seed=4, params=SHORT, key=KEY)
    game.take("USA", "tab-us", "Ada")
    game.step(KEY)
    assert game.wait_until(lambda g: g.turn_for("USA") is not None)
    assert game.waiting_for() == ["USA"] and game.time_left() is None
    game.end_round(KEY)
    assert game.wait_until(lambda g: g.model.steps == 1 and g.status == "paused")
    assert game.model.steps == 1  # paused after one quarter
    game.close(KEY)


def test_a_choice_outside_the_rules_is_refused_and_the_student_may_choose_again():
    game = Game("baseline", seed=0, params=SHORT, key=KEY)
    game.take("USA", "tab-us")
    game.take("CHN", "tab-cn")
    game.step(KEY)
    assert game.wait_until(lambda g: g.turn_for("USA") is not None)
    view = game.turn_for("USA").view
    with pytest.raises(PolicyError, match="over the budget"):
        game.submit(
            "tab-us", LeaderChoice(side_payments={view.members[0].id: view.side_payment_budget + 1})
        )
    with pytest.raises(PolicyError, match="expected a LeaderChoice"):
        game.submit("tab-us", ChinaChoice())
    with pytest.raises(SeatError, match="no decision to make now"):
        game.submit("tab-cn", ChinaChoice())
    game.submit("tab-us", LeaderChoice())
    assert game.wait_until(lambda g: g.turn_for("CHN") is not None)
    china = game.turn_for("CHN").view
    target = china.targets[0].id
    with pytest.raises(PolicyError, match="allowed per target"):
        game.submit("tab-cn", ChinaChoice(pressure={target: china.max_per_target + 1}))
    game.submit("tab-cn", rule_choice(game.turn_for("CHN")))
    assert game.wait_until(lambda g: g.model.steps == 1)
    game.close(KEY)


def test_seats_are_one_per_student_and_one_student_per_seat():
    game = Game("baseline", seed=0, params=SHORT, seats=["USA", "CHN", "JPN"], key=KEY)
    game.take("USA", "a", "Ada")
    with pytest.raises(SeatError, match="United States is taken by Ada"):
        game.take("USA", "b", "Bo")
    with pytest.raises(SeatError, match="'FRA' is not a seat"):
        game.take("FRA", "b")
    with pytest.raises(SeatError, match="'KOR' is not a seat"):
        game.take("KOR", "b")
    game.take("JPN", "a", "Ada")  # moving frees the old seat
    assert game.seats["USA"].holder is None and game.seat_of("a") == "JPN"
    with pytest.raises(SeatError, match="no seat"):
        game.submit("b", MemberChoice("stay"))
    with pytest.raises(SeatError, match="cannot decide|expected some of"):
        Game("baseline", seats=["XYZ"])
    with pytest.raises(SeatError, match="expected some of"):
        Game("baseline", seats=[])


def test_a_page_that_stops_sending_heartbeats_loses_its_seat():
    now = [0.0]
    game = Game("baseline", seed=0, params=SHORT, seat_timeout=10.0, clock=lambda: now[0], key=KEY)
    game.take("USA", "tab", "Ada")
    now[0] = 8.0
    game.heartbeat("tab")
    now[0] = 15.0
    game._reap()
    assert game.seats["USA"].holder == "tab"
    now[0] = 30.0
    game._reap()
    assert game.seats["USA"].holder is None
    assert "Ada has gone (no word from the page)" in game.notes[-1]


@pytest.mark.parametrize("bad", ["soon", 0, -5, float("nan"), float("inf")])
def test_a_bad_timer_is_one_clear_message(bad):
    with pytest.raises(SeatError, match="timer: expected"):
        check_timer(bad)
