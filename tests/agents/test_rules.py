"""The model's own deciders (agents/rules.py) and the decision engine's rounds
(agents/policy.py: play_round trusts the rules and checks everyone else)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import pytest

from agents.china import RuleBasedChina
from agents.leader import RuleBasedLeader
from agents.parameters import Parameters
from agents.policy import (
    ChinaChoice,
    Decision,
    Kind,
    LeaderChoice,
    MemberChoice,
    PolicyError,
    PressurerChoice,
    Target,
    Turn,
    play_round,
)
from agents.pressurer import Pressurer, RuleBasedPressurer, rule_allocation
from agents.rules import OWN_RULES, RULES, Policies, rule_choice
from agents.state import RuleBasedMember
from tests.agents import views

TARGETS = [
    Target("JPN", "Japan", 0.3, 5.0, 0.4, 4000.0, 0.1),
    Target("KOR", "Korea", 0.25, 20.0, 0.3, 1700.0, 0.0),
]


def china_view(**changes):
    return views.china_view(**{"targets": TARGETS, **changes})


def pressurer_view(ranking=None):
    return views.pressurer_view(targets=TARGETS, china_ranking=ranking)


def member_view(advice=Decision.STAY):
    return views.member_view(advice=advice)


leader_view = views.leader_view


def turns() -> list[Turn]:
    return [
        Turn("USA", Kind.LEADER, leader_view()),
        Turn("CHN", Kind.CHINA, china_view()),
        Turn("RUS", Kind.PRESSURER, pressurer_view()),
        Turn("JPN", Kind.MEMBER, member_view()),
    ]


class Fixed:
    """A player who always answers with the same choice."""

    def __init__(self, choice):
        self.choice = choice

    def decide(self, view):
        return self.choice


# --- rule_choice -----------------------------------------------------------------------------
def test_every_kind_has_its_agents_rule():
    assert set(RULES) == set(Kind)
    assert RULES[Kind.LEADER] is RuleBasedLeader
    assert RULES[Kind.CHINA] is RuleBasedChina
    assert RULES[Kind.PRESSURER] is RuleBasedPressurer
    assert RULES[Kind.MEMBER] is RuleBasedMember
    assert set(OWN_RULES) == set(RULES.values())


def test_rule_choice_is_the_kinds_rule_on_the_view():
    lead, china, rus, jpn = turns()
    assert rule_choice(lead) == RuleBasedLeader().decide(lead.view)
    assert rule_choice(china) == RuleBasedChina().decide(china.view)
    got = rule_choice(rus)
    assert isinstance(got, PressurerChoice)
    assert got.pressure == rule_allocation(Pressurer("RUS"), TARGETS, 0.3, 1.25, 1.0, 10_000.0)
    assert rule_choice(jpn) == MemberChoice(Decision.STAY)


@pytest.mark.parametrize("advice", list(Decision))
def test_rule_based_member_follows_the_views_advice(advice):
    assert RuleBasedMember().decide(member_view(advice)).action == advice


# --- Policies --------------------------------------------------------------------------------
def test_policies_given_policies_decide_for_their_actors_rules_for_everyone_else():
    mine = LeaderChoice(side_payments={"JPN": 1.0})
    deciders = Policies({"USA": Fixed(mine)})
    assert deciders.asks == frozenset({"USA"})
    out = deciders.decide_round(turns())
    assert set(out) == {"USA", "CHN", "RUS", "JPN"}
    assert out["USA"] is mine
    for turn in turns()[1:]:
        assert out[turn.actor] == rule_choice(turn)


def test_policies_trust_only_the_models_own_rules():
    class Tweaked(RuleBasedLeader):
        pass

    deciders = Policies({"USA": RuleBasedLeader(), "CHN": Fixed(ChinaChoice()), "JPN": Tweaked()})
    assert deciders.trusts("USA")  # the rule class itself
    assert deciders.trusts("RUS")  # no policy: the rules
    assert not deciders.trusts("CHN")  # a player
    assert not deciders.trusts("JPN")  # a subclass may change the rule: checked
    assert Policies().asks == frozenset()
    assert Policies(None).trusts("USA")


# --- play_round ------------------------------------------------------------------------------
def test_play_round_of_the_rules_is_the_rules_choices():
    out = play_round(Policies(), turns())
    for turn in turns():
        assert out[turn.actor] == rule_choice(turn)


@pytest.mark.parametrize(
    "actor, choice, field",
    [
        ("USA", LeaderChoice(side_payments={"JPN": 10.0}), "side_payments"),
        ("CHN", ChinaChoice(pressure={"JPN": 2.0}), "pressure[JPN]"),
        ("RUS", PressurerChoice(pressure={"AUS": 0.1}), "pressure"),
        ("JPN", MemberChoice(Decision.JOIN), "action"),
        ("USA", ChinaChoice(), Kind.LEADER),  # the wrong kind of choice
    ],
)
def test_play_round_checks_a_players_choice(actor, choice, field):
    with pytest.raises(PolicyError) as err:
        play_round(Policies({actor: Fixed(choice)}), turns())
    assert err.value.field == field


def test_play_round_accepts_a_players_legal_choice():
    legal = LeaderChoice(side_payments={"JPN": 2.0}, invite="IND", investments=[("USA", 2, 5.0)])
    out = play_round(Policies({"USA": Fixed(legal)}), turns())
    assert out["USA"] is legal


@dataclass
class Vouching:
    """Deciders that answer every turn with given choices and vouch for some actors."""

    choices: dict
    trusted: frozenset
    asks: frozenset = frozenset()

    def decide_round(self, turns):
        return dict(self.choices)

    def trusts(self, actor):
        return actor in self.trusted


def test_play_round_does_not_check_what_the_deciders_vouch_for():
    over_budget = {t.actor: rule_choice(t) for t in turns()}
    over_budget["USA"] = LeaderChoice(side_payments={"JPN": 1e6})
    everyone = frozenset(over_budget)
    assert play_round(Vouching(over_budget, everyone), turns())["USA"] is over_budget["USA"]
    with pytest.raises(PolicyError) as err:
        play_round(Vouching(over_budget, everyone - {"USA"}), turns())
    assert err.value.field == "side_payments"


def test_play_round_needs_a_decision_for_every_turn():
    missing = {t.actor: rule_choice(t) for t in turns() if t.actor != "RUS"}
    with pytest.raises(PolicyError, match="no decision for RUS"):
        play_round(Vouching(missing, frozenset(missing) | {"RUS"}), turns())


# --- typed parameters ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Two(Parameters):
    alpha: float
    beta: int


def test_parameters_of_picks_the_named_values_and_nothing_else():
    got = Two.of({"alpha": 0.5, "beta": 3, "gamma": "ignored"})
    assert got == Two(0.5, 3)
    assert [f.name for f in fields(got)] == ["alpha", "beta"]
    with pytest.raises(KeyError):
        Two.of({"alpha": 0.5})
