"""Classroom mode's engine (server/classroom.py): seats, rounds, timers, leaving.

The browser side is tested in test_app_classroom.py; here students are threads."""

from __future__ import annotations

import html
import threading
import time

import pytest

from agents.policy import (
    ChinaChoice,
    LeaderChoice,
    MemberChoice,
    PolicyError,
)
from agents.rules import rule_choice
from model.model import PaxSilicaModel
from model.run import run_model, series_of
from model.wording import plural
from server.classroom import (
    Classroom,
    Game,
    SeatError,
    TeacherKeyError,
    check_timer,
    debrief,
    key_hash,
)
from server.classroom_store import Store, StoreError
from server.classroom_view import notes_html, round_line, seats_html, student_link, teacher_link
from server.status import status_line

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


# -- the teacher's key, the store, the debrief (issue 14) --------------------------------
NASTY = "<img src=x onerror=alert(1)> **bold** _x_ [a](javascript:1)"


def teacher_actions(game: Game):
    return {
        "start": lambda k: game.start(k),
        "pause": lambda k: game.pause(k),
        "step": lambda k: game.step(k),
        "set_timer": lambda k: game.set_timer(k, 30),
        "end_round": lambda k: game.end_round(k),
        "debrief": lambda k: debrief(game, k),
        "close": lambda k: game.close(k),
    }


@pytest.mark.parametrize("action", list(teacher_actions(Game("baseline", params=SHORT))))
@pytest.mark.parametrize("key", [None, "", "wrong", KEY + " ", KEY.upper(), b"x"])
def test_every_teacher_action_refuses_a_missing_or_wrong_key(action, key):
    game = Game("baseline", seed=0, params=SHORT, key=KEY, code="AB12")
    before = (game.status, game.round_seconds, game.version)
    with pytest.raises(TeacherKeyError, match="^This link has no teacher key for game AB12$"):
        teacher_actions(game)[action](key)
    assert (game.status, game.round_seconds, game.version) == before
    assert game._thread is None  # nothing started


def test_with_its_key_the_teacher_acts():
    game = Game("baseline", seed=0, params={"steps": 2}, key=KEY, code="AB12")
    game.take("USA", "tab-us", "Ada")
    game.set_timer(KEY, 30)
    assert game.round_seconds == 30
    game.step(KEY)
    assert game.wait_until(lambda g: g.turn_for("USA") is not None)
    game.end_round(KEY)
    assert game.wait_until(lambda g: g.played == 1 and g.status == "paused")
    assert any(
        "round ended by the teacher: United States follows its rules" in n for n in game.notes
    )
    assert not any("time is up" in n for n in game.notes)
    game.close(KEY)
    assert game.status == "closed" and game.closed_by == "the teacher"


def test_the_key_is_never_in_a_student_link_nor_in_the_store(tmp_path):
    room = Classroom(tmp_path / "c.sqlite")
    code, key, game = room.open("baseline", seed=0, params=SHORT)
    assert len(key) >= 20 and game.is_teacher(key) and not game.is_teacher(key[:-1])
    link = student_link(code, "http://10.0.0.5:8765")
    assert link == f"http://10.0.0.5:8765/classroom?game={code}" and key not in link
    assert key in teacher_link(code, key)
    raw = (tmp_path / "c.sqlite").read_bytes()
    assert key.encode() not in raw and key_hash(key).encode() in raw
    game.close(key)


def play_two_quarters(room: Classroom):
    """A game in which Korea's student leaves (not the advice) and the US's takes it."""
    code, key, game = room.open("baseline", seed=7, params={"steps": 4}, title=NASTY)
    game.take("KOR", "tab-kor", NASTY)
    game.take("USA", "tab-usa", "Ada")

    def korea(t):
        return MemberChoice("leave") if "leave" in t.view.options else rule_choice(t)

    for q in (1, 2):
        game.step(key)
        end = time.monotonic() + 30
        while game.played < q:
            assert time.monotonic() < end, game.notes
            for holder, actor, choose in (
                ("tab-usa", "USA", rule_choice),
                ("tab-kor", "KOR", korea),
            ):
                turn = game.turn_for(actor)
                if turn is not None:
                    game.submit(holder, choose(turn))
            time.sleep(0.01)
        assert game.wait_until(lambda g: g.status == "paused")
    return code, key, game


def test_a_restarted_server_lists_the_game_and_the_key_resumes_it(tmp_path):
    path = tmp_path / "class" / "c.sqlite"
    code, key, game = play_two_quarters(Classroom(path))
    assert game.played == 2 and game.model.by_id["KOR"].status == "defected"
    before = series_of(game.model)
    record = [(q, a, who, c) for q, a, who, c in game.record]
    notes = list(game.notes)

    room = Classroom(path)  # the server restarts: a new classroom on the same file
    listed = room.listing()
    assert list(listed) == [code] and listed[code]["game"] is None
    assert listed[code]["title"] == NASTY and listed[code]["played"] == 2
    assert room.join(code) is None  # students wait for the teacher
    with pytest.raises(TeacherKeyError):
        room.board(code, "wrong")
    with pytest.raises(TeacherKeyError):
        room.board(code, None)
    assert room.join(code) is None  # a refused key rebuilds nothing
    again = room.board(code, key)
    assert room.join(code) is again and room.board(code, key) is again
    assert again.played == 2 and again.status == "paused" and again.title == NASTY
    assert again.seats["KOR"].last_label == NASTY and again.seats["USA"].last_label == "Ada"
    assert again.seats["KOR"].holder is None  # browser sessions do not survive a restart
    assert again.record == record  # every seat's choice per quarter, as chosen
    assert series_of(again.model).equals(before)
    assert again.model.by_id["KOR"].status == "defected"
    assert again.notes[: len(notes)] == notes and "server restarted" in again.notes[-1]
    # the rebuilt game plays on like the first would have: compare with a fresh twin
    twin_code, twin_key, twin = play_two_quarters(Classroom(tmp_path / "twin.sqlite"))
    for g, k in ((again, key), (twin, twin_key)):
        g.start(k)
        assert g.wait_until(lambda g: g.status == "finished", 60)
    assert series_of(again.model).equals(series_of(twin.model))
    assert [e.text for e in again.model.events] == [e.text for e in twin.model.events]
    again.close(key)
    assert Classroom(path).listing() == {}  # closed: no longer listed
    assert Classroom(path).closed_message(code) == "The game was closed by the teacher."


def test_a_finished_game_comes_back_finished_with_its_debrief(tmp_path):
    path = tmp_path / "c.sqlite"
    room = Classroom(path)
    code, key, game = room.open("baseline", seed=3, params=SHORT, round_seconds=0.1)
    game.take("JPN", "tab", "Ken")  # Ken never chooses: the timer ends each round
    game.start(key)
    assert game.wait_until(lambda g: g.status == "finished", 60)
    again = Classroom(path).board(code, key)
    assert again.status == "finished" and series_of(again.model).equals(series_of(game.model))
    choices, side = debrief(again, key)
    assert (choices.chosen_by == "rules").all() and len(choices) == len(game.record)
    assert side["members_game"].tolist() == side["members_rules"].tolist()  # all on rules


@pytest.mark.parametrize("bad", ["dir", "not-a-db", "under-a-file"])
def test_a_bad_database_path_is_one_clear_error(tmp_path, bad):
    if bad == "dir":
        path = tmp_path
    elif bad == "not-a-db":
        path = tmp_path / "junk.sqlite"
        path.write_bytes(b"this is not a database, only some text " * 100)
    else:
        (tmp_path / "file").write_text("x")
        path = tmp_path / "file" / "c.sqlite"
    with pytest.raises(StoreError, match=r"^classroom database .*PAX_SILICA_CLASSROOM_DB"):
        Classroom(path)


def test_the_database_path_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PAX_SILICA_CLASSROOM_DB", str(tmp_path / "env" / "x.sqlite"))
    assert Store().path == tmp_path / "env" / "x.sqlite"
    assert (tmp_path / "env" / "x.sqlite").exists()


def test_names_and_titles_are_kept_verbatim_and_shown_escaped(tmp_path):
    room = Classroom(tmp_path / "c.sqlite")
    code, key, game = room.open("baseline", seed=0, params=SHORT, title=NASTY)
    game.take("USA", "tab", NASTY)
    stored = room.store.game(code)
    assert stored["title"] == NASTY and stored["labels"]["USA"] == NASTY
    assert game.seats["USA"].label == NASTY
    for shown in (seats_html(game), notes_html(game), round_line(game)):
        assert html.escape(NASTY) in shown
        assert "<img" not in shown and "onerror=alert" not in shown.replace(html.escape(NASTY), "")
    game.leave("tab")
    assert "<img" not in seats_html(game)  # "rules (last: ...)" is escaped too
    assert html.escape(NASTY) in seats_html(game)
    game.close(key)


def test_plural():
    assert plural(1, "member") == "1 member"
    assert plural(0, "member") == "0 members" and plural(2, "defector") == "2 defectors"


def test_survived_is_said_only_after_the_last_quarter():
    game = Game("baseline", seed=0, params={"steps": 2}, key=KEY)
    game.take("USA", "tab", "Ada")
    with game.reading() as m:
        assert "survived" not in status_line(m) and "The alliance stands" in status_line(m)
    game.start(KEY)
    for q in (1, 2):
        assert game.wait_until(lambda g: g.turn_for("USA") is not None)
        with game.reading() as m:  # quarter q is under way (the last one when q == 2)
            assert m.steps == q and "survived" not in status_line(m), status_line(m)
        game.submit("tab", rule_choice(game.turn_for("USA")))
    assert game.wait_until(lambda g: g.status == "finished")
    with game.reading() as m:
        assert "The alliance survived to" in status_line(m)
    m = PaxSilicaModel("baseline", rng=0, steps=2)
    m.run()
    members = status_line(m).split(" · ")[1]
    assert members.startswith(plural(m.members, "member") + ",")


def test_the_debrief_sets_the_game_beside_the_rules_run_of_its_seed(tmp_path):
    room = Classroom(tmp_path / "c.sqlite")
    code, key, game = play_two_quarters(room)
    choices, side = debrief(game, key)
    ref = run_model(game.scenario, seed=7, overrides={"steps": 4}).series
    for col in ("members", "participants", "defectors", "credibility", "capital_committed"):
        assert side[f"{col}_rules"].tolist() == ref[col].tolist()  # exactly
        played = series_of(game.model)[col].tolist()
        assert side[f"{col}_game"].tolist()[: len(played)] == played
        assert side[f"{col}_game"].iloc[len(played) :].isna().all()
    assert side["quarter"].tolist() == ref["quarter"].tolist()
    # Korea's student left in quarter 1: the game and the rules part there
    assert side["members_game"].iloc[1] != side["members_rules"].iloc[1]
    kor = choices[choices.seat == "KOR"]
    assert kor.chosen_by.tolist()[:1] == [NASTY] and kor.choice.tolist()[0] == "leave"
    assert set(choices.quarter) == {1, 2} and set(choices.seat) == set(game.seats)
    assert (choices[~choices.seat.isin(["KOR", "USA"])].chosen_by == "rules").all()
    csv = side.to_csv(index=False)
    assert csv.splitlines()[0].startswith("quarter,when,members_game,members_rules")
    game.close(key)


def test_the_membership_chart_counts_states_in_whole_numbers():
    from server import charts

    m = PaxSilicaModel("baseline", rng=0, steps=2)
    m.run()
    y = charts.membership_figure(m)["layout"]["yaxis"]
    assert y["tick0"] == 0 and isinstance(y["dtick"], int) and y["dtick"] >= 1
    assert y["range"][1] / y["dtick"] > 2  # several ticks, each a whole number
    # what 16 members give (members + 2): 0-17.5 in steps of 2.5 with matplotlib's ticks
    assert charts.state_ticks(18) == 3 and charts.state_ticks(16) == 2
