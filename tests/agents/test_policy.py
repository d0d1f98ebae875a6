"""Players and rule-based actors share one interface: a player who repeats the rule-based
actor's choices reproduces the rule-based run exactly, and no player can break a budget
or a rule."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.china import RuleBasedChina
from agents.leader import RuleBasedLeader
from agents.policy import ChinaChoice, LeaderChoice, PolicyError, check
from agents.rules import Policies
from model.model import PaxSilicaModel


class Recorder:
    """Decides like the rule-based actor and writes its choices down."""

    def __init__(self, rule):
        self.rule, self.choices = rule, []

    def decide(self, view):
        choice = self.rule.decide(view)
        self.choices.append(copy.deepcopy(choice))
        return choice


class Replay:
    """A scripted player: plays back a list of choices, one per quarter."""

    def __init__(self, choices):
        self.choices = list(choices)

    def decide(self, view):
        return self.choices.pop(0)


def run(seed, scenario="baseline", **policies):
    m = PaxSilicaModel(scenario, rng=seed, policies=policies)
    m.run()
    return m


@pytest.mark.parametrize("scenario", ["baseline", "counter_alliance", "refinery_push"])
def test_a_player_repeating_the_rules_reproduces_the_rule_based_run(scenario):
    rule = run(11, scenario)
    us, cn = Recorder(RuleBasedLeader()), Recorder(RuleBasedChina())
    recorded = run(11, scenario, USA=us, CHN=cn)
    replayed = run(11, scenario, USA=Replay(us.choices), CHN=Replay(cn.choices))
    for m in (recorded, replayed):
        pd.testing.assert_frame_equal(
            rule.datacollector.get_model_vars_dataframe(),
            m.datacollector.get_model_vars_dataframe(),
        )
        assert [e.text for e in m.events] == [e.text for e in rule.events]


class Fixed:
    def __init__(self, choice):
        self.choice = choice

    def decide(self, view):
        return self.choice


@pytest.mark.parametrize(
    "choice, field",
    [
        (LeaderChoice(side_payments={"JPN": 1e6}), "side_payments"),
        (LeaderChoice(side_payments={"CHN": 0.1}), "side_payments"),
        (LeaderChoice(side_payments={"JPN": -1.0}), "side_payments[JPN]"),
        (LeaderChoice(investments=[("USA", 2, 1e6)]), "investments"),
        (LeaderChoice(investments=[("RUS", 2, 1.0)]), "investments[0]"),
        (LeaderChoice(investments=[("USA", 13, 1.0)]), "investments[0]"),
        (LeaderChoice(invite="CHN"), "invite"),
    ],
)
def test_the_us_player_cannot_break_budgets_or_rules(choice, field):
    m = PaxSilicaModel("baseline", rng=0, policies={"USA": Fixed(choice)})
    with pytest.raises(PolicyError) as e:
        m.step()
    assert e.value.field == field and str(e.value).startswith(field)


@pytest.mark.parametrize(
    "choice, field",
    [
        (ChinaChoice(pressure={"SGP": 1.0, "QAT": 1.0, "ARE": 1.0, "AUS": 1.0}), "pressure"),
        (ChinaChoice(pressure={"SGP": 99.0}), "pressure[SGP]"),
        (ChinaChoice(pressure={"USA": 1.0}), "pressure"),
        (ChinaChoice(controls=0.9), "controls"),
        (ChinaChoice(inducement_share=2.0), "inducement_share"),
    ],
)
def test_the_china_player_cannot_break_budgets_or_rules(choice, field):
    m = PaxSilicaModel("baseline", rng=0, initial_truce=0, policies={"CHN": Fixed(choice)})
    with pytest.raises(PolicyError) as e:
        m.step()
    assert e.value.field == field


def test_china_can_apply_no_pressure_during_a_truce():
    m = PaxSilicaModel(
        "baseline", rng=0, policies={"CHN": Fixed(ChinaChoice(pressure={"SGP": 0.5}))}
    )
    with pytest.raises(PolicyError, match="truce in force"):
        m.step()


def test_the_player_sees_no_hidden_state():
    """China's view carries public data only: no member's grievance or threshold."""
    seen = []

    class Spy(RuleBasedChina):
        def decide(self, view):
            seen.append(view)
            return super().decide(view)

    run(0, "baseline", CHN=Spy())
    fields = set(seen[0].targets[0].__dataclass_fields__) if seen[0].targets else set()
    assert fields and not fields & {"grievance", "threshold", "strain"}


class AskEveryone(Policies):
    """The rules for every actor, with every seatable actor's turns built and handed
    over; records each turn's kind and, with ``checking``, puts every choice through the
    player's checks (``PolicyError`` if a rule breaks a rule)."""

    def __init__(self, actors, checking: bool = False):
        super().__init__()
        self.asks = frozenset(actors)
        self.checking = checking
        self.kinds = []

    def decide_round(self, turns):
        choices = super().decide_round(turns)
        for tn in turns:
            if self.checking:
                check(tn, choices[tn.actor])
            self.kinds.append(tn.kind)
        return choices


def test_every_actor_asked_through_its_rules_is_the_default_run():
    """Asking every seatable actor (pressurers and states too) for a decision, and
    answering with its rules, changes nothing: the rules read only the view."""
    from model.run import series_of

    ref = PaxSilicaModel("counter_alliance", rng=7, steps=8)
    ref.run()
    probe = PaxSilicaModel("counter_alliance", rng=7, steps=8)
    everyone = AskEveryone(probe.seatable())
    asked = PaxSilicaModel("counter_alliance", rng=7, steps=8, deciders=everyone)
    asked.run()
    assert series_of(asked).equals(series_of(ref))
    assert {"leader", "china", "pressurer", "member"} <= set(everyone.kinds)


def test_an_actor_that_cannot_decide_is_refused():
    from model.scenario import ScenarioError

    with pytest.raises(ScenarioError, match="policies: 'XYZ' cannot decide"):
        PaxSilicaModel("baseline", rng=0, deciders=AskEveryone(["XYZ"]))
    with pytest.raises(ScenarioError, match="'ROW' cannot decide"):
        PaxSilicaModel("baseline", rng=0, policies={"ROW": object()})


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(
    st.sampled_from(
        [
            "baseline",
            "counter_alliance",
            "escalation",
            "invitation",
            "truce",
            "expansion",
            "refinery_push",
        ]
    ),
    st.fixed_dictionaries(
        {
            "pressure_intensity": st.floats(0.0, 5.0),
            "china_budget": st.floats(0.0, 10.0),
            "side_payment_budget": st.floats(0.0, 20.0),
            "initial_escalation": st.floats(1.0, 3.0),
            "leader_volatility": st.floats(0.0, 1.0),
            "counter_alliance": st.booleans(),
            "refining_investment": st.floats(0.0, 10.0),
            "steps": st.integers(1, 12),
        }
    ),
    st.integers(0, 2**31 - 1),
)
def test_the_models_own_rules_always_pass_the_players_checks(scenario, params, seed):
    """The model does not re-check its own rules' choices each quarter (a sweep would pay
    for it); here every choice of every actor's rules goes through the same checks a
    player's does, over random parameters, and the run is the unchecked run."""
    from model.run import series_of

    ref = PaxSilicaModel(scenario, rng=seed, **params)
    ref.run()
    probe = PaxSilicaModel(scenario, rng=seed, **params)
    everyone = AskEveryone(probe.seatable(), checking=True)
    m = PaxSilicaModel(scenario, rng=seed, deciders=everyone, **params)
    m.run()
    assert series_of(m).equals(series_of(ref))
    assert {"leader", "china"} <= set(everyone.kinds)
