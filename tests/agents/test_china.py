"""China's rules (agents/china.py): escalation, export controls, truces, capacity."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.china import (
    EscalationParams,
    RuleBasedChina,
    coercion_headroom,
    control_stringency,
    escalate,
    grow_capacity,
    max_controls,
    pressure_on_newcomer,
    quarter_cost,
    seeks_truce,
    truce_threshold,
)
from agents.policy import ChinaChoice
from agents.pressurer import CHINA, Pressurer
from model.params import defaults
from tests.agents import views
from tests.agents.views import target

SETTINGS = settings(deadline=None, derandomize=True, database=None, max_examples=60)

EP = EscalationParams.of(defaults())


def eparams(**changes) -> EscalationParams:
    return dataclasses.replace(EP, **changes)


escalation = st.floats(1.0, EP.max_escalation)


# --- escalate --------------------------------------------------------------------------------
@SETTINGS
@given(e=escalation, gain=st.floats(0.0, 1.0))
def test_escalation_decays_towards_one_without_gains(e, gain):
    nxt = escalate(e, 0, gain, gain, 1.0, EP)
    assert nxt - 1.0 == pytest.approx((e - 1.0) * (1.0 - EP.deescalation))
    assert 1.0 <= nxt <= e
    # Quarter after quarter it approaches 1.
    for _ in range(400):
        nxt = escalate(nxt, 0, gain, gain, 1.0, EP)
    assert nxt == pytest.approx(1.0, abs=1e-6)


def test_escalation_rises_with_joiners_and_refining_gains():
    ep = eparams(deescalation=0.1, escalation_rate=0.2, escalation_refining_weight=10.0)
    calm = escalate(1.5, 0, 0.3, 0.3, 1.0, ep)
    assert calm == pytest.approx(1.0 + 0.5 * 0.9)
    assert escalate(1.5, 1, 0.3, 0.3, 1.0, ep) == pytest.approx(calm + 0.2)
    assert escalate(1.5, 2, 0.3, 0.3, 1.0, ep) == pytest.approx(calm + 0.4)
    assert escalate(1.5, 0, 0.35, 0.3, 1.0, ep) == pytest.approx(calm + 0.2 * 10.0 * 0.05)
    # A lost share does not de-escalate faster than the decay.
    assert escalate(1.5, 0, 0.2, 0.3, 1.0, ep) == pytest.approx(calm)


@SETTINGS
@given(
    e=escalation,
    joins=st.integers(0, 10),
    gain=st.floats(-1.0, 1.0),
    before=st.floats(-1.0, 1.0),
    more=st.integers(1, 3),
)
def test_escalation_stays_in_one_to_max_and_rises_with_joiners(e, joins, gain, before, more):
    nxt = escalate(e, joins, gain, before, 1.0, EP)
    assert 1.0 <= nxt <= EP.max_escalation
    assert escalate(e, joins + more, gain, before, 1.0, EP) >= nxt


@SETTINGS
@given(e=escalation, joins=st.integers(1, 5), h1=st.floats(0.0, 1.0), h2=st.floats(0.0, 1.0))
def test_a_threat_pushes_escalation_in_proportion_to_headroom(e, joins, h1, h2):
    """With no headroom a threat adds nothing to the decay; the push grows with it."""
    ep = eparams(max_escalation=100.0)
    decay = escalate(e, 0, 0.0, 0.0, 1.0, ep)
    assert escalate(e, joins, 0.0, 0.0, 0.0, ep) == pytest.approx(decay)
    lo, hi = sorted((h1, h2))
    assert escalate(e, joins, 0.0, 0.0, lo, ep) <= escalate(e, joins, 0.0, 0.0, hi, ep)
    full = escalate(e, joins, 0.0, 0.0, 1.0, ep) - decay
    assert escalate(e, joins, 0.0, 0.0, hi, ep) - decay == pytest.approx(hi * full)


def test_headroom_is_what_the_year_left_of_what_china_bears_for_its_gains():
    assert coercion_headroom(0.0, 12.0, 0) == 1.0
    assert coercion_headroom(6.0, 12.0, 0) == pytest.approx(0.5)
    assert coercion_headroom(12.0, 12.0, 0) == 0.0
    assert coercion_headroom(30.0, 12.0, 0) == 0.0  # never below 0
    # A member peeled off in the year doubles what China will bear.
    assert coercion_headroom(12.0, 12.0, 1) == pytest.approx(0.5)
    # No truce threshold: nothing holds escalation back.
    assert coercion_headroom(50.0, 0.0, 0) == 1.0


@SETTINGS
@given(
    cost=st.floats(0.0, 100.0),
    threshold=st.floats(0.1, 50.0),
    peeled=st.integers(0, 4),
    scale=st.floats(0.1, 10.0),
)
def test_headroom_is_measured_against_chinas_own_means(cost, threshold, peeled, scale):
    """Scaling China's budget scales its year's cost and its threshold alike: the headroom
    stays; a member more peeled off never leaves less."""
    h = coercion_headroom(cost, threshold, peeled)
    assert 0.0 <= h <= 1.0
    assert coercion_headroom(cost * scale, threshold * scale, peeled) == pytest.approx(h)
    assert coercion_headroom(cost, threshold, peeled + 1) >= h


# --- export controls -------------------------------------------------------------------------
def test_control_stringency_is_zero_below_the_trigger_and_full_at_the_ceiling():
    ep = eparams(control_escalation=1.5, max_escalation=3.0, control_stringency=0.15)
    assert control_stringency(1.0, ep) == 0.0
    assert control_stringency(1.4999, ep) == 0.0
    assert control_stringency(1.5, ep) == 0.0
    assert control_stringency(2.25, ep) == pytest.approx(0.15 * 0.5)
    assert control_stringency(3.0, ep) == pytest.approx(0.15)


@SETTINGS
@given(e1=st.floats(1.0, 3.0), e2=st.floats(1.0, 3.0))
def test_control_stringency_is_monotone_and_bounded(e1, e2):
    lo, hi = sorted((e1, e2))
    a, b = control_stringency(lo, EP), control_stringency(hi, EP)
    assert 0.0 <= a <= b <= EP.control_stringency


def test_control_stringency_with_the_trigger_at_the_ceiling():
    ep = eparams(control_escalation=3.0, max_escalation=3.0, control_stringency=0.2)
    assert control_stringency(2.9, ep) == 0.0
    assert control_stringency(3.0, ep) == 0.2


def test_max_controls_none_in_a_truce():
    assert max_controls(EP.max_escalation, EP, truce=True) == 0.0
    assert max_controls(EP.max_escalation, EP, truce=False) == pytest.approx(EP.control_stringency)


def test_pressure_on_newcomer_is_a_full_targets_worth_discounted_over_a_truce():
    assert pressure_on_newcomer(0, 3.2, 1.25, 0.85) == 1.25
    assert pressure_on_newcomer(0, 0.5, 1.25, 0.85) == 0.5
    assert pressure_on_newcomer(4, 3.2, 1.25, 0.85) == pytest.approx(1.25 * 0.85**4)
    assert pressure_on_newcomer(4, 3.2, 1.25, 0.0) == 0.0  # no memory: a truce is free


@SETTINGS
@given(st.integers(0, 8), st.floats(0.0, 10.0), st.floats(0.0, 0.99))
def test_a_longer_truce_never_raises_a_newcomers_expected_pressure(left, budget, memory):
    now = pressure_on_newcomer(left, budget, 1.25, memory)
    assert pressure_on_newcomer(left + 1, budget, 1.25, memory) <= now <= min(1.25, budget)


def test_china_seeks_a_truce_only_when_costly_pressure_gains_nothing():
    assert seeks_truce(12.0, 12.0, 0)
    assert not seeks_truce(11.9, 12.0, 0)
    # Each member peeled off in the year makes another threshold's cost worth bearing.
    assert not seeks_truce(12.0, 12.0, 1)
    assert seeks_truce(24.0, 12.0, 1)
    assert not seeks_truce(1e9, 0.0, 0)  # a threshold of 0: no truce


@SETTINGS
@given(st.floats(0.0, 100.0), st.floats(0.01, 50.0), st.integers(0, 5))
def test_more_members_peeled_never_makes_a_truce_likelier(cost, threshold, peeled):
    assert seeks_truce(cost, threshold, peeled + 1) <= seeks_truce(cost, threshold, peeled)


def test_quarter_cost_is_units_plus_the_cost_of_controls():
    assert quarter_cost(2.0, 0.1, 5.0) == pytest.approx(2.5)
    assert quarter_cost(2.0, 0.0, 5.0) == 2.0


# --- the rule-based China --------------------------------------------------------------------
def china_view(**changes):
    """China a year in: escalated, with controls, part-way to a truce."""
    here = dict(
        quarter=4,
        when="2027 Q1",
        budget=2.5,
        escalation=2.0,
        max_controls=0.1,
        spent_last_three=6.0,
        truce_cost=20.0,
        deterrence=0.0,
        targets=TARGETS,
    )
    return views.china_view(**{**here, **changes})


TARGETS = [target("JPN", 0.3), target("KOR", 0.25), target("AUS", 0.1), target("IND", 0.05, 0.0)]


def test_rule_based_china_presses_down_its_ranking_with_the_strictest_controls():
    view = china_view()
    choice = RuleBasedChina().decide(view)
    assert isinstance(choice, ChinaChoice)
    ranked = Pressurer(CHINA).rank(TARGETS, 0.0, 10_000.0)
    assert choice.ranking == [t.id for t in ranked]
    assert "IND" not in choice.ranking  # not exposed
    assert list(choice.pressure.items()) == [("JPN", 1.25), ("KOR", 1.25)]
    assert choice.controls == view.max_controls
    assert choice.inducement_share == view.inducement_share
    assert not choice.truce


def test_rule_based_china_seeks_a_truce_exactly_when_a_years_cost_reaches_truce_cost():
    # This quarter: 2.5 units + 5.0 x 0.1 of controls = 3.0; with 6.0 before, 9.0 a year.
    year = 6.0 + quarter_cost(2.5, 0.1, 5.0)
    assert RuleBasedChina().decide(china_view(truce_cost=year)).truce
    assert RuleBasedChina().decide(china_view(truce_cost=year - 1.0)).truce
    assert not RuleBasedChina().decide(china_view(truce_cost=year + 1e-6)).truce
    assert not RuleBasedChina().decide(china_view(truce_cost=0.0, spent_last_three=100.0)).truce
    # Pressure that peeled a member off this year is worth its cost: no truce yet.
    assert not RuleBasedChina().decide(china_view(truce_cost=year, members_peeled=1)).truce


def test_truce_threshold_is_a_share_of_a_years_budget_at_calm():
    assert truce_threshold(0.5, 3.0) == pytest.approx(6.0)
    assert truce_threshold(0.0, 3.0) == 0.0  # no truce sought
    assert truce_threshold(0.5, 0.0) == 0.0  # no budget: nothing to weigh


@given(
    share=st.floats(0.05, 5.0),
    budget=st.floats(0.1, 50.0),
    scale=st.floats(1.0, 10.0),
)
def test_a_larger_budget_never_lowers_the_truce_threshold(share, budget, scale):
    """The cost is weighed against China's own means: scaling the budget scales the
    threshold with it, so more capacity to pressure never buys an earlier truce."""
    assert truce_threshold(share, budget * scale) >= truce_threshold(share, budget)
    assert truce_threshold(share, budget * scale) == pytest.approx(
        scale * truce_threshold(share, budget)
    )


def test_rule_based_china_does_nothing_in_a_truce():
    choice = RuleBasedChina().decide(china_view(truce_active=True, truce_cost=1.0))
    assert choice.pressure == {}
    assert choice.controls == 0.0
    assert not choice.truce
    assert choice.inducement_share == 0.3


# --- capacity --------------------------------------------------------------------------------
def test_grow_capacity_grows_chinas_row_in_place_and_the_frontier_where_a_segment_exists():
    volume = np.ones((3, 3))
    frontier = np.ones((3, 3))
    growth = np.array([1.1, 1.2, 1.3])
    has_segment = np.array([True, False, True])
    grow_capacity(volume, frontier, 1, growth, has_segment)
    assert volume[1] == pytest.approx(growth)
    assert frontier[1] == pytest.approx([1.1, 1.0, 1.3])
    for row in (0, 2):
        assert (volume[row] == 1.0).all() and (frontier[row] == 1.0).all()
