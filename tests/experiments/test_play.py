"""``pax-silica play``: a terminal player is a policy like any other. Accepting every
default reproduces the rule-based run exactly; no answer can break a budget or a rule (the
prompt shows the rule's message and asks again, never a traceback); the score follows its
documented formula."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from experiments.cli import EXIT_USAGE, main
from experiments.play_cmd import ChinaPlayer, ScriptedInput, USPlayer, play
from model.model import PaxSilicaModel
from model.scenario import load_scenario
from model.score import score


def rule_run(scenario, seed, **params):
    m = PaxSilicaModel(scenario, rng=seed, **params)
    m.run()
    return m


def player_run(cls, lines, scenario="baseline", seed=0, **params):
    out = io.StringIO()
    player = cls(read=ScriptedInput(lines, echo=out), out=out)
    key = "USA" if cls is USPlayer else "CHN"
    m = PaxSilicaModel(scenario, rng=seed, policies={key: player}, **params)
    m.run()
    return m, out.getvalue()


def assert_same_run(a, b):
    pd.testing.assert_frame_equal(
        a.datacollector.get_model_vars_dataframe(), b.datacollector.get_model_vars_dataframe()
    )
    assert [e.text for e in a.events] == [e.text for e in b.events]


@pytest.mark.parametrize("cls", [USPlayer, ChinaPlayer])
@pytest.mark.parametrize("scenario, seed", [("baseline", 3), ("counter_alliance", 1)])
def test_a_player_who_always_takes_the_default_reproduces_the_rule_based_run(cls, scenario, seed):
    rule = rule_run(scenario, seed)
    m, out = player_run(cls, [""] * 400, scenario, seed)  # Enter at every prompt
    assert_same_run(rule, m)
    assert "(end of input" not in out  # every quarter was really prompted
    assert out.count("=== ") == 40


@pytest.mark.parametrize("cls", [USPlayer, ChinaPlayer])
def test_end_of_input_hands_the_game_to_the_rule_based_actor(cls):
    rule = rule_run("baseline", 5)
    m, out = player_run(cls, ["", "auto"], "baseline", 5)
    assert_same_run(rule, m)
    assert "(end of input: the rule-based actor plays the rest of the game)" in out


def test_the_us_player_cannot_exceed_the_side_payment_budget():
    m, out = player_run(USPlayer, ["JPN=100", "JPN=0.5 KOR=-1", "CHN=1", "JPN=1 SGP=0.5"], steps=1)
    lines = out.splitlines()
    errors = [ln for ln in lines if ln.strip().startswith("!")]
    assert errors[0].strip() == "! side_payments: US$100.00bn is over the budget of US$1.50bn"
    assert "side_payments[KOR]: expected a non-negative amount" in errors[1]
    assert "'CHN' is not a member the US can pay" in errors[2]
    assert sum("Side payments, US$bn" in ln for ln in lines) == 4  # asked again each time
    assert m.by_id["JPN"].side_payment == 1.0 and m.by_id["SGP"].side_payment == 0.5
    assert "Traceback" not in out


def test_the_us_player_cannot_overspend_on_investment_or_invite_a_rival():
    lines = ["", "CHN", "TWN", "USA:2=10", "USA:13=1", "AUS:2=1 USA:6=1.5", "no"]
    m, out = player_run(USPlayer, lines, steps=1)
    assert "investments: US$10.00bn is over the budget of US$2.50bn" in out
    assert "investments[0]: expected a phase 1-12, got 13" in out
    assert "invite: 'CHN' cannot be invited" in out
    assert sorted((p[2], p[3]) for p in m.public_pipeline) == [(1, 1.0), (5, 1.5)]
    assert any(e.kind == "invitation" and e.actor == "TWN" for e in m.events)


def test_the_china_player_cannot_exceed_its_budget_or_the_per_target_limit():
    lines = [
        "SGP=99",
        "SGP=1.25 QAT=1.25 ARE=1.25",
        "SGP=abc",
        "SGP=1 QAT=1",
        "1.5",
        "0.2",
        "maybe",
        "no",
    ]
    m, out = player_run(ChinaPlayer, lines, steps=1, initial_truce=0)
    assert "pressure[SGP]: 99 units is over the 1.25 allowed per target" in out
    assert "pressure: 3.75 units is over the budget of 3.2" in out
    assert "pressure[SGP]: expected a number, got 'abc'" in out
    assert "inducement_share: expected a share in [0, 1], got 1.5" in out
    assert "expected yes or no, got 'maybe'" in out
    assert m.pressure_by["CHN"] == pytest.approx(2.0)
    assert m.by_id["SGP"].pressure_received["CHN"] == 1.0
    assert "Traceback" not in out


def test_the_china_player_may_not_press_during_a_truce():
    m, out = player_run(ChinaPlayer, [""], steps=1)  # the Busan truce: no pressure prompt
    assert "Pressure, units" not in out and "truce in force: yes" in out


def test_choices_are_applied_pass_does_nothing_and_auto_hands_over_for_n_quarters():
    lines = [
        "pass",  # quarter 1: nothing at all
        "auto 2",  # quarters 2 and 3: the rules
        "",
        "",
        "yes",
    ]  # quarter 4: side payments, investment, truce
    m, out = player_run(USPlayer, lines, steps=5, initial_truce=0, invitations=False)
    s = m.datacollector.get_model_vars_dataframe()
    assert s["public_investment"][1] == 0.0  # pass: no bottleneck money in quarter 1
    assert s["public_investment"][3] == pytest.approx(5.0)  # the rules paid in 2 and 3
    assert out.count("=== ") == 4  # quarters 1, 2 (where 'auto 2' was typed), 4 and 5
    assert any(e.kind == "truce" and "the US agrees a truce" in e.text for e in m.events)


def test_the_view_shows_everything_the_government_sees():
    out = io.StringIO()
    player = USPlayer(read=ScriptedInput([]), out=out)
    m = PaxSilicaModel("baseline", rng=0)
    v = m.leader_view()
    text = player.render(v)
    for mb in v.members:
        assert mb.id in text and f"{mb.strain:4.2f}" in text
    for c in v.candidates:
        assert c.id in text
    for value in (
        f"{v.credibility:.2f}",
        f"{v.side_payment_budget:.2f}",
        f"{v.investment_budget:.2f}",
        f"{v.china_escalation:.2f}",
        f"{v.price_index:.2f}",
        f"{v.controlled_phases} of 12",
        v.when,
    ):
        assert value in text
    china = ChinaPlayer(read=ScriptedInput([]), out=out)
    seen = []

    class Spy:
        def decide(self, view):
            seen.append(view)
            from agents.china import RuleBasedChina

            return RuleBasedChina().decide(view)

    m = PaxSilicaModel("baseline", rng=0, initial_truce=0, policies={"CHN": Spy()})
    m.step()
    cv = seen[0]
    text = china.render(cv)
    for t in cv.targets:
        assert t.id in text and f"{t.exposure:.2f}" in text and f"{t.chokepoints:.3f}" in text
    for value in (
        f"{cv.budget:.2f}",
        f"{cv.max_per_target:.2f}",
        f"{cv.escalation:.2f}",
        f"{cv.max_controls:.2f}",
        f"{cv.inducement_share:.2f}",
        f"{cv.spent_last_three:.2f}",
        f"{cv.truce_cost:g}",
        f"{cv.control_cost:g}",
        f"{cv.deterrence:g}",
        f"{cv.alliance_refining_share:.1%}",
        f"{cv.credibility:.2f}",
    ):
        assert value in text


# --- score ----------------------------------------------------------------------------------
def test_the_score_follows_its_formula():
    series = pd.DataFrame(
        {
            "quarter": [0, 1, 2],
            "covered_phases": [10, 12, 12],
            "controlled_phases": [5, 12, 0],
            "capital_committed": [0.0, 50.0, 150.0],
        }
    )
    sc = score(series, {"survived": True, "time_to_collapse": 2}, 200.0, 2)
    # S = 1; P = mean(24/24, 12/24) = 0.75; K = mean(0.25, 0.75) = 0.5
    assert (sc["survival"], sc["phases"], sc["capital"]) == (1.0, 0.75, 0.5)
    assert sc["us"] == pytest.approx(100 * (0.4 + 0.3 * 0.75 + 0.3 * 0.5))
    assert sc["us"] + sc["china"] == pytest.approx(100)
    sc = score(series, {"survived": False, "time_to_collapse": 1}, 200.0, 4)
    assert sc["survival"] == 0.25


# --- the command ----------------------------------------------------------------------------
def test_play_command_scores_the_player_next_to_the_rule_based_actor(capsys):
    read = ScriptedInput([""] * 60)
    code = main(["play", "--as", "us", "--steps", "6", "--seed", "2", "--compare", "3"])
    out, err = capsys.readouterr()  # pytest's stdin is unreadable: treated as end of input
    assert code == 0 and err == "" and "Traceback" not in out
    assert "Your score (US):" in out and "Rule-based US, seed 2:" in out
    assert "Rule-based US over seeds 2-4:" in out
    assert "You did the same as the rule-based US on this seed (+0.0)." in out
    out2 = io.StringIO()
    scen = load_scenario("baseline", ["steps=6"])
    m = play(scen, "china", seed=2, read=read, out=out2)
    assert m.steps == 6 and "you are China" in out2.getvalue()


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["play"], "--as"),
        (["play", "--as", "russia"], "--as"),
        (["play", "--as", "us", "--steps", "0"], "--steps"),
        (["play", "--as", "us", "--compare", "0"], "--compare"),
        (["play", "--as", "china", "--scenario", "nope"], "nope"),
        (["play", "--as", "us", "--set", "pressure_intensity=lots"], "pressure_intensity"),
    ],
)
def test_bad_flags_give_one_clear_error(capsys, argv, needle):
    with pytest.raises(SystemExit) as e:
        raise SystemExit(main(argv))
    _, err = capsys.readouterr()
    assert e.value.code == EXIT_USAGE
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], err
