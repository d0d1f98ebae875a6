"""The leader's rules (agents/leader.py): reversals, credibility, invitations, its levers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.leader import (
    CredibilityParams,
    RuleBasedLeader,
    credibility_after,
    defection_hit,
    invitation_value,
    invite_ready,
    may_invite,
    reversal,
    update_credibility,
)
from agents.policy import Candidate, LeaderChoice
from model.params import defaults
from tests.agents import views
from tests.agents.views import member

SETTINGS = settings(deadline=None, derandomize=True, database=None, max_examples=60)
share = st.floats(0.0, 1.0)

CP = CredibilityParams.of(defaults())


def crparams(**changes) -> CredibilityParams:
    return dataclasses.replace(CP, **changes)


# --- reversals -------------------------------------------------------------------------------
def test_reversal_has_chance_volatility():
    rng = np.random.default_rng(3)
    assert not any(reversal(rng, 0.0) for _ in range(200))
    assert all(reversal(rng, 1.0) for _ in range(200))
    draws = [reversal(rng, 0.3) for _ in range(4000)]
    assert all(isinstance(d, bool) for d in draws)
    assert np.mean(draws) == pytest.approx(0.3, abs=0.03)


# --- credibility -----------------------------------------------------------------------------
def fundamentals(commit, controlled, n_phases, founding_share, cp) -> float:
    """Credibility's fundamentals, as update_credibility's docstring states them."""
    half = cp.credibility_capital_half
    capital = commit / (commit + half) if half > 0 else 1.0
    return (
        cp.credibility_weight_capital * capital
        + cp.credibility_weight_control * controlled / n_phases
        + cp.credibility_weight_members * founding_share
    )


@SETTINGS
@given(
    c=share,
    commit=share,
    controlled=st.integers(0, 8),
    founding=share,
    adj=share,
)
def test_credibility_moves_the_stated_share_of_the_way_to_its_fundamentals(
    c, commit, controlled, founding, adj
):
    cp = crparams(credibility_adjustment=adj)
    f = fundamentals(commit, controlled, 8, founding, cp)
    got = update_credibility(c, commit, controlled, 8, founding, cp)
    assert 0.0 <= got <= 1.0
    assert got == pytest.approx(min(1.0, max(0.0, c + adj * (f - c))))
    # It moves towards the fundamentals, never past them.
    assert min(c, f) - 1e-12 <= got <= max(c, f) + 1e-12


@SETTINGS
@given(c=share, commit=share, controlled=st.integers(0, 8), founding=share)
def test_credibility_stays_in_zero_one_whatever_the_weights(c, commit, controlled, founding):
    cp = crparams(
        credibility_weight_capital=1.0,
        credibility_weight_control=1.0,
        credibility_weight_members=1.0,
        credibility_adjustment=1.0,
    )
    assert 0.0 <= update_credibility(c, commit, controlled, 8, founding, cp) <= 1.0


def test_credibility_extremes_of_adjustment_and_a_zero_half_point():
    cp = crparams(credibility_adjustment=0.0)
    assert update_credibility(0.42, 0.5, 3, 8, 5 / 9, cp) == 0.42
    cp = crparams(
        credibility_adjustment=1.0,
        credibility_capital_half=0.0,
        credibility_weight_capital=0.5,
        credibility_weight_control=0.25,
        credibility_weight_members=0.25,
    )
    # Half-point 0: any capital counts in full.
    assert update_credibility(0.1, 0.0, 4, 8, 1.0, cp) == pytest.approx(0.5 + 0.125 + 0.25)


def test_credibility_rises_with_each_fundamental():
    args = dict(credibility=0.5, commit_ratio=0.1, controlled_phases=3, n_phases=8)
    args |= dict(founding_share=0.5, cp=CP)
    base = update_credibility(**args)
    for key, more in (("commit_ratio", 0.3), ("controlled_phases", 6), ("founding_share", 1.0)):
        assert update_credibility(**(args | {key: more})) > base


@SETTINGS
@given(base=st.floats(0.0, 1.0), light=st.floats(0.0, 1.0), heavy=st.floats(0.0, 1.0))
def test_defection_hit_grows_with_the_leavers_weight(base, light, heavy):
    light, heavy = sorted((light, heavy))
    assert 0.0 <= defection_hit(base, light, 11) <= defection_hit(base, heavy, 11)
    # a member of average weight (1 / n of the founders) costs the base hit
    assert defection_hit(base, 1 / 11, 11) == pytest.approx(base)


@SETTINGS
@given(c=share, change=st.floats(-2.0, 2.0))
def test_credibility_after_an_event_is_kept_in_zero_one(c, change):
    got = credibility_after(c, change)
    assert got == pytest.approx(min(1.0, max(0.0, c + change)))
    assert 0.0 <= got <= 1.0


# --- invitations -----------------------------------------------------------------------------
def test_may_invite_needs_all_three_conditions():
    assert may_invite(True, 0.5, 0.5, 10, 6, 4)
    assert not may_invite(False, 0.5, 0.5, 10, 6, 4)  # invitations off
    assert not may_invite(True, 0.49, 0.5, 10, 6, 4)  # credibility below the bar
    assert not may_invite(True, 0.5, 0.5, 9, 6, 4)  # the last one too recent
    assert may_invite(True, 0.9, 0.5, 20, 6, 4)


# --- the rule-based leader -------------------------------------------------------------------
def leader_view(**changes):
    """The US with money to pay, invest and invite, and four members under strain."""
    here = dict(
        quarter=5,
        when="2027 Q2",
        side_payment_budget=3.0,
        investment_budget=10.0,
        leader_investment=2.0,
        refining_investment=3.0,
        refining_investors=["USA", "JPN", "AUS", "SAU"],
        members=[member("JPN", 0.2), member("KOR", 0.6), member("AUS", 0.4), member("NLD", -1.0)],
        candidates=[Candidate("IND", "India", 0.3), Candidate("SAU", "Saudi Arabia", 0.1)],
        china_escalation=1.2,
    )
    return views.leader_view(**{**here, **changes})


def test_leader_pays_the_most_strained_members_in_proportion_to_strain():
    choice = RuleBasedLeader().decide(leader_view())
    assert isinstance(choice, LeaderChoice)
    assert set(choice.side_payments) == {"KOR", "AUS"}  # the two most strained
    assert choice.side_payments["KOR"] == pytest.approx(3.0 * 0.6 / 1.0)
    assert choice.side_payments["AUS"] == pytest.approx(3.0 * 0.4 / 1.0)
    assert not choice.truce


@SETTINGS
@given(
    strains=st.lists(st.floats(-1.0, 5.0), min_size=0, max_size=8),
    budget=st.floats(0.0, 20.0),
    k=st.integers(0, 8),
)
def test_side_payments_stay_within_budget_and_the_targets_count(strains, budget, k):
    members = [member(f"M{i}", s) for i, s in enumerate(strains)]
    view = leader_view(members=members, side_payment_budget=budget, side_payment_targets=k)
    pays = RuleBasedLeader().decide(view).side_payments
    strain = {m.id: m.strain for m in members}
    assert len(pays) <= k
    assert sum(pays.values()) <= budget + 1e-9
    assert all(strain[m] > 0 and v >= 0 for m, v in pays.items())
    if pays:
        # Nobody left out is more strained than anyone paid; pay is proportional to strain.
        assert min(strain[m] for m in pays) >= max(
            (s for m, s in strain.items() if m not in pays and s > 0), default=0.0
        )
        ratios = [v / strain[m] for m, v in pays.items()]
        assert max(ratios) == pytest.approx(min(ratios))
        assert sum(pays.values()) == pytest.approx(budget)


def test_no_side_payments_without_strain_or_budget():
    calm = [member("JPN", 0.0), member("KOR", -0.5)]
    assert RuleBasedLeader().decide(leader_view(members=calm)).side_payments == {}
    assert RuleBasedLeader().decide(leader_view(side_payment_budget=0.0)).side_payments == {}


def test_leader_invites_the_best_positive_gain_candidate():
    assert RuleBasedLeader().decide(leader_view()).invite == "IND"
    tie = [Candidate("SAU", "Saudi Arabia", 0.3), Candidate("IND", "India", 0.3)]
    assert RuleBasedLeader().decide(leader_view(candidates=tie)).invite == "IND"  # by id
    none = [Candidate("IND", "India", 0.0), Candidate("SAU", "Saudi Arabia", -0.2)]
    assert RuleBasedLeader().decide(leader_view(candidates=none)).invite is None
    assert RuleBasedLeader().decide(leader_view(may_invite=False)).invite is None


def test_leader_invites_only_whom_its_diplomats_find_willing_and_ready():
    willing = Candidate("IND", "India", 0.1, sounding=0.2)
    unwilling = Candidate("TWN", "Taiwan", 0.5, sounding=-0.9)
    view = leader_view(candidates=[willing, unwilling])
    assert RuleBasedLeader().decide(view).invite == "IND"
    waiting = Candidate("IND", "India", 0.1, refusals=1, sounding=0.2, ready=False)
    assert RuleBasedLeader().decide(leader_view(candidates=[waiting, unwilling])).invite is None


def test_the_leader_prices_only_the_candidates_it_would_ask():
    """A candidate's gain and sounding may be left to be worked out when read: the rule
    reads the gain only of a ready candidate its diplomats find willing, and reads each
    value once."""
    asked = []

    def later(name, value):
        return lambda: asked.append(name) or value

    waiting = Candidate("CAN", "Canada", later("CAN gain", 0.5), sounding=0.1, ready=False)
    unwilling = Candidate("TWN", "Taiwan", later("TWN gain", 0.5), sounding=later("TWN", -0.9))
    willing = Candidate("IND", "India", later("IND gain", 0.1), sounding=later("IND", 0.2))
    view = leader_view(candidates=[waiting, unwilling, willing])
    assert RuleBasedLeader().decide(view).invite == "IND"
    assert asked == ["TWN", "IND", "IND gain"]
    assert (willing.gain, willing.sounding) == (0.1, 0.2) and len(asked) == 3


def test_leader_weighs_a_candidates_gain_by_its_record_of_refusals():
    twice_no = Candidate("CAN", "Canada", 0.25, refusals=2)
    fresh = Candidate("NLD", "Netherlands", 0.1)
    assert invitation_value(0.25, 2) < invitation_value(0.1, 0)
    assert RuleBasedLeader().decide(leader_view(candidates=[twice_no, fresh])).invite == "NLD"
    thrice = Candidate("CAN", "Canada", 0.31, refusals=2)  # three times fresh's gain, and more
    assert RuleBasedLeader().decide(leader_view(candidates=[thrice, fresh])).invite == "CAN"


def test_invite_ready_waits_twice_as_long_after_each_refusal():
    assert invite_ready(0, -(10**6), 5, 4)
    assert not invite_ready(1, 10, 13, 4) and invite_ready(1, 10, 14, 4)
    assert not invite_ready(2, 10, 17, 4) and invite_ready(2, 10, 18, 4)
    assert not invite_ready(3, 10, 25, 4) and invite_ready(3, 10, 26, 4)


def test_leader_invests_in_the_bottleneck_and_the_refining_phase():
    choice = RuleBasedLeader().decide(leader_view())
    assert choice.investments[0] == ("USA", 4, 2.0)
    refining = choice.investments[1:]
    # Builders are the refining investors who are members or the US (not Saudi Arabia).
    assert refining == [("USA", 2, 1.0), ("JPN", 2, 1.0), ("AUS", 2, 1.0)]
    assert sum(a for _, _, a in refining) == pytest.approx(3.0)


def test_leader_invests_nothing_it_has_no_money_for():
    choice = RuleBasedLeader().decide(leader_view(leader_investment=0.0, refining_investment=0.0))
    assert choice.investments == []
    only_refining = RuleBasedLeader().decide(leader_view(leader_investment=0.0))
    assert all(phase == 2 for _, phase, _ in only_refining.investments)
    no_builders = RuleBasedLeader().decide(leader_view(refining_investors=["SAU"]))
    assert no_builders.investments == [("USA", 4, 2.0)]
