"""The commitment rules of a state (agents/state.py), each on the values it uses.

The pure rules are tested on numbers; ``StateAgent``'s methods on one hand-built
``Actor`` owned by a bare Mesa model (no Pax Silica model is built). Expected values are
computed from the formulas the docstrings state, or asserted as relations.
"""

from __future__ import annotations

import dataclasses

import mesa
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.policy import Decision
from agents.pressurer import PressureParams, pressure_pain
from agents.state import (
    REASONS,
    CommitmentParams,
    Role,
    Snapshot,
    StateAgent,
    Status,
    can_decide,
    defection_threshold,
    domestic_noise,
    leaves,
    member_weights,
    next_grievance,
    peers_who_left,
    resistance,
    secure_supply,
)
from model.params import defaults
from tests.agents.views import actor

SETTINGS = settings(deadline=None, derandomize=True, database=None, max_examples=60)
share = st.floats(0.0, 1.0)
positive = st.floats(0.0, 100.0)

P = defaults()
CP = CommitmentParams.of(P)
PP = PressureParams.of(P)


def state(
    status=Status.MEMBER,
    role=Role.SIGNATORY,
    resistance=0.4,
    threshold=3.0,
    dependence=1.0,
    **actor_changes,
) -> StateAgent:
    model = mesa.Model(rng=0)  # only the agent's owner
    return StateAgent(
        model, actor(**actor_changes), status, role, resistance, threshold, 0, dependence
    )


def snap(**changes) -> Snapshot:
    values = dict(
        credibility=0.6,
        secure_supply=0.5,
        price_index=1.0,
        defected_tie_share={},
        expected_pressure=0.0,
    )
    values.update(changes)
    return Snapshot(**values)


def cparams(**changes) -> CommitmentParams:
    return dataclasses.replace(CP, **changes)


# --- resistance and thresholds ---------------------------------------------------------------
@SETTINGS
@given(tie=share, tie2=share, base=share, per_tie=share, cap=share)
def test_resistance_is_base_plus_tie_shelter_capped_and_rises_with_the_tie(
    tie, tie2, base, per_tie, cap
):
    r = resistance(tie, base, per_tie, cap)
    assert r == pytest.approx(min(cap, base + per_tie * tie))
    assert r <= cap
    lo, hi = sorted((tie, tie2))
    assert resistance(lo, base, per_tie, cap) <= resistance(hi, base, per_tie, cap)


def test_resistance_cap_binds_for_a_strong_tie():
    assert resistance(1.0, 0.3, 0.9, 0.8) == 0.8
    assert resistance(0.0, 0.3, 0.9, 0.8) == pytest.approx(0.3)


@SETTINGS
@given(base=positive, r=share, r2=share, draw=st.floats(0.0, 5.0))
def test_defection_threshold_scales_with_base_draw_and_resistance(base, r, r2, draw):
    t = defection_threshold(base, r, draw)
    assert t == pytest.approx(base * (1.0 + r) * draw)
    assert defection_threshold(2 * base, r, draw) == pytest.approx(2 * t)
    assert defection_threshold(base, r, 2 * draw) == pytest.approx(2 * t)
    lo, hi = sorted((r, r2))
    assert defection_threshold(base, lo, draw) <= defection_threshold(base, hi, draw)


# --- peers, noise, grievance, leaving --------------------------------------------------------
def test_peers_who_left_is_the_tie_weighted_share_of_peers():
    ties = np.array(
        [
            [0.0, 1.0, 3.0, 5.0],
            [1.0, 0.0, 1.0, 0.0],
            [3.0, 1.0, 0.0, 0.0],
            [5.0, 0.0, 0.0, 0.0],
        ]
    )
    peer = np.array([True, True, True, False])  # state 3 is no peer: its tie is ignored
    defected = np.array([False, False, True, False])
    got = peers_who_left(ties, peer, defected)
    assert got[0] == pytest.approx(3.0 / (1.0 + 3.0))
    assert got[1] == pytest.approx(1.0 / 2.0)
    assert got[2] == pytest.approx(0.0)
    assert got[3] == pytest.approx(0.0)  # its only tie is to state 0, who stayed


def test_peers_who_left_counts_each_peer_by_its_weight():
    """A heavy peer's exit pulls harder than a light one's at the same tie."""
    ties = np.ones((3, 3)) - np.eye(3)
    peer = np.ones(3, dtype=bool)
    weight = np.array([1.0, 0.9, 0.1])
    heavy_left = peers_who_left(ties, peer, np.array([False, True, False]), weight)
    light_left = peers_who_left(ties, peer, np.array([False, False, True]), weight)
    assert heavy_left[0] == pytest.approx(0.9 / (0.9 + 0.1))
    assert light_left[0] == pytest.approx(0.1 / (0.9 + 0.1))
    # Equal weights are Granovetter's head count.
    same = peers_who_left(ties, peer, np.array([False, True, False]), np.ones(3))
    assert same.tolist() == peers_who_left(ties, peer, np.array([False, True, False])).tolist()


def test_member_weights_mix_capacity_and_economy_on_the_founders_scale():
    carried = np.array([3.0, 1.0, 0.0, 6.0])  # capacity shares summed over phases
    gdp = np.array([100.0, 300.0, 600.0, 50.0])
    basis = np.array([True, True, True, False])  # the fourth is no founder
    w = member_weights(carried, gdp, basis, 0.5)
    assert w[basis].sum() == pytest.approx(1.0)
    assert w[0] == pytest.approx(0.5 * 3 / 4 + 0.5 * 100 / 1000)
    assert w[3] == pytest.approx(0.5 * 6 / 4 + 0.5 * 50 / 1000)  # on the same scale
    assert member_weights(carried, gdp, basis, 1.0)[2] == 0.0  # carries no phase
    assert member_weights(carried, gdp, basis, 0.0)[2] == pytest.approx(0.6)
    # weighting 0: a head count, every state 1 / (number of founders)
    assert member_weights(carried, gdp, basis, 0.5, weighting=0.0).tolist() == [1 / 3] * 4


def test_peers_who_left_is_zero_with_no_peers():
    ties = np.ones((3, 3)) - np.eye(3)
    got = peers_who_left(ties, np.zeros(3, dtype=bool), np.ones(3, dtype=bool))
    assert got.tolist() == [0.0, 0.0, 0.0]
    lonely = peers_who_left(np.zeros((3, 3)), np.ones(3, dtype=bool), np.ones(3, dtype=bool))
    assert lonely.tolist() == [0.0, 0.0, 0.0]


@SETTINGS
@given(
    ties=st.lists(st.floats(0.0, 10.0), min_size=16, max_size=16),
    peer=st.lists(st.booleans(), min_size=4, max_size=4),
    defected=st.lists(st.booleans(), min_size=4, max_size=4),
)
def test_peers_who_left_is_a_share(ties, peer, defected):
    got = peers_who_left(np.array(ties).reshape(4, 4), np.array(peer), np.array(defected))
    assert got.shape == (4,)
    assert np.all(got >= -1e-12) and np.all(got <= 1 + 1e-12)
    # Nobody who left among the peers: nobody is pulled.
    none = peers_who_left(np.array(ties).reshape(4, 4), np.array(peer), np.zeros(4, dtype=bool))
    assert np.all(none == 0.0)


def test_domestic_noise_is_zeros_at_sd_zero():
    rng = np.random.default_rng(1)
    before = rng.bit_generator.state
    assert domestic_noise(rng, 0.0, 5) == [0.0] * 5
    assert rng.bit_generator.state == before  # no draw is spent when there is no noise


def test_domestic_noise_is_reproducible_for_a_seed_and_scales_with_sd():
    a = domestic_noise(np.random.default_rng(7), 0.5, 6)
    b = domestic_noise(np.random.default_rng(7), 0.5, 6)
    c = domestic_noise(np.random.default_rng(8), 0.5, 6)
    doubled = domestic_noise(np.random.default_rng(7), 1.0, 6)
    assert len(a) == 6 and a == b
    assert a != c
    assert any(x != 0.0 for x in a)
    assert doubled == pytest.approx([2 * x for x in a])


@SETTINGS
@given(g=positive, strain=st.floats(-100.0, 100.0), m=share)
def test_next_grievance_remembers_a_share_and_never_goes_below_zero(g, strain, m):
    got = next_grievance(g, strain, m)
    assert got == pytest.approx(max(0.0, m * g + strain))
    assert got >= 0.0


def test_next_grievance_memory():
    assert next_grievance(2.0, 1.0, 0.0) == 1.0  # no memory: only this quarter's strain
    assert next_grievance(2.0, 1.0, 1.0) == 3.0  # full memory: it adds up
    assert next_grievance(2.0, 1.0, 0.5) == 2.0
    assert next_grievance(2.0, -5.0, 0.5) == 0.0  # the floor at 0


def test_leaves_at_the_threshold():
    assert leaves(3.0, 3.0)
    assert leaves(3.5, 3.0)
    assert not leaves(2.99, 3.0)
    assert leaves(0.0, 0.0)


# --- who may decide --------------------------------------------------------------------------
def test_can_decide_everyone_but_the_leader_and_rivals():
    assert not can_decide(Role.LEADER)
    assert not can_decide(Role.RIVAL)
    for role in (Role.SIGNATORY, Role.PARTICIPANT, Role.OUTSIDER):
        assert can_decide(role)


def may_decide(role, status, cooldown) -> bool:
    s = state(status=status, role=role)
    s.cooldown = cooldown
    return s.may_decide()


def test_may_decide_not_for_a_defector_in_cool_down():
    assert not may_decide(Role.SIGNATORY, Status.DEFECTED, 2)
    assert may_decide(Role.SIGNATORY, Status.DEFECTED, 0)
    assert may_decide(Role.SIGNATORY, Status.MEMBER, 2)  # the cool-down binds defectors only
    assert may_decide(Role.OUTSIDER, Status.OUTSIDE, 3)
    for status in Status:
        assert not may_decide(Role.LEADER, status, 0)
        assert not may_decide(Role.RIVAL, status, 0)


# --- Granovetter's threshold cascade ---------------------------------------------------------
def cascade(thresholds: list[float]) -> int:
    """How many of ``len(thresholds)`` fully tied states leave, with every term of the
    commitment rule but the social one switched off: the agent's own pure rules, in
    simultaneous rounds from the start-of-round state, until nobody else leaves."""
    n = len(thresholds)
    ties = np.ones((n, n)) - np.eye(n)
    peer = np.ones(n, dtype=bool)  # members and defectors are all peers
    influence = float(n - 1)  # the pull of k leavers among n - 1 peers is k
    defected = np.zeros(n, dtype=bool)
    while True:
        shares = peers_who_left(ties, peer, defected)
        pull = influence * shares  # StateAgent.social_pull: social_influence x share
        new = np.array(
            [
                defected[i] or leaves(next_grievance(0.0, pull[i], 0.0), thresholds[i])
                for i in range(n)
            ]
        )
        if (new == defected).all():
            return int(defected.sum())
        defected = new


def test_granovetter_riot_uniform_thresholds_all_leave():
    assert cascade([float(k) for k in range(100)]) == 100


def test_granovetter_riot_one_threshold_changed_only_the_instigator_leaves():
    thresholds = [float(k) for k in range(100)]
    thresholds[1] = 2.0
    assert cascade(thresholds) == 1


def test_social_pull_is_social_influence_times_the_tie_share():
    s = state()
    cp = cparams(social_influence=7.0)
    assert s.social_pull(snap(defected_tie_share={s.unique_id: 0.25}), cp) == pytest.approx(1.75)
    assert s.social_pull(snap(defected_tie_share={s.unique_id + 1: 0.9}), cp) == 0.0


# --- StateAgent: benefit and pain ------------------------------------------------------------
def test_benefit_is_credibility_discounted_supply_inflow_and_side_payments():
    s = state(gdp_usd_bn=2000.0)
    s.inflow, s.side_payment = 5.0, 2.0
    cp = cparams(supply_benefit=2.0, inflow_benefit=3.0, side_payment_benefit=4.0)
    sn = snap(credibility=0.5, secure_supply=0.75)
    inflow_pct = 400.0 * 5.0 / 2000.0
    side_pct = 400.0 * 2.0 / 2000.0
    expected = 0.5 * (2.0 * 0.75 + 3.0 * inflow_pct + 4.0 * side_pct)
    assert s.benefit(sn, cp) == pytest.approx(expected)
    assert s.benefit(snap(credibility=0.0, secure_supply=0.75), cp) == 0.0


@SETTINGS
@given(c1=share, c2=share, inflow=st.floats(0.0, 50.0), pay=st.floats(0.0, 50.0))
def test_benefit_rises_with_credibility_inflows_and_side_payments(c1, c2, inflow, pay):
    s = state()
    lo, hi = sorted((c1, c2))
    assert s.benefit(snap(credibility=lo), CP) <= s.benefit(snap(credibility=hi), CP)
    base = s.benefit(snap(credibility=hi), CP)
    s.inflow, s.side_payment = inflow, pay
    assert s.benefit(snap(credibility=hi), CP) >= base


def test_pain_by_source():
    s = state(dependence=2.0)
    s.pressure_pain, s.reversal_shock = 0.7, 0.2
    cp = cparams(price_pain=0.4)
    pains = s.pain(snap(price_index=1.5), cp)
    assert set(pains) == {"pressure", "price", "reversal"}
    assert pains["pressure"] == 0.7
    assert pains["price"] == pytest.approx(0.4 * 0.5 * 2.0)
    assert pains["reversal"] == 0.2
    assert s.pain(snap(price_index=0.8), cp)["price"] == 0.0  # cheap inputs are no pain


@SETTINGS
@given(p1=st.floats(0.5, 3.0), p2=st.floats(0.5, 3.0), d=st.floats(0.0, 3.0))
def test_price_pain_rises_with_the_price_index_and_dependence(p1, p2, d):
    lo, hi = sorted((p1, p2))
    s = state(dependence=d)
    assert s.pain(snap(price_index=lo), CP)["price"] <= s.pain(snap(price_index=hi), CP)["price"]
    more = state(dependence=d + 1.0)
    assert more.pain(snap(price_index=hi), CP)["price"] >= s.pain(snap(price_index=hi), CP)["price"]


# --- StateAgent: assess ----------------------------------------------------------------------
def test_assess_accumulates_grievance_with_memory():
    s = state()
    cp = cparams(grievance_memory=0.5, social_influence=2.0, price_pain=1.0)
    s.pressure_pain = 1.0
    sn = snap(credibility=0.0, price_index=1.25, defected_tie_share={s.unique_id: 0.5})
    strain = 1.0 + 0.25 + 2.0 * 0.5 + 0.3  # pressure + price + social + shock; no benefit
    assert s.assess(sn, cp, shock=0.3) == pytest.approx(strain)
    assert s.strain == pytest.approx(strain)
    assert s.assess(sn, cp, shock=0.3) == pytest.approx(0.5 * strain + strain)
    assert s.grievance == pytest.approx(1.5 * strain)


def test_assess_benefit_offsets_strain_and_grievance_floors_at_zero():
    s = state()
    s.grievance = 0.4
    cp = cparams(grievance_memory=0.5)
    sn = snap(credibility=1.0, secure_supply=1.0)
    benefit = s.benefit(sn, cp)
    assert benefit > 0.2
    assert s.assess(sn, cp) == 0.0
    assert s.strain == pytest.approx(-benefit)


def test_assess_components_decay_with_memory_and_add_this_quarters():
    s = state()
    cp = cparams(grievance_memory=0.5, price_pain=1.0, social_influence=4.0)
    s.pressure_pain, s.reversal_shock = 2.0, 1.0
    s.pain_by = {"CHN": 1.5, "RUS": 0.5}
    loud = snap(price_index=2.0, defected_tie_share={s.unique_id: 0.5})
    s.assess(loud, cp)
    first = dict(s.components)
    assert first == pytest.approx({"pressure": 2.0, "price": 1.0, "reversal": 1.0, "social": 2.0})
    assert s.pain_memory == pytest.approx({"CHN": 1.5, "RUS": 0.5})
    # A quiet quarter: every driver decays by the memory.
    s.pressure_pain, s.reversal_shock, s.pain_by = 0.0, 0.0, {}
    s.assess(snap(), cp)
    assert s.components == pytest.approx({k: 0.5 * v for k, v in first.items()})
    assert s.pain_memory == pytest.approx({"CHN": 0.75, "RUS": 0.25})
    # And pressure adds to the decayed memory again.
    s.pain_by = {"CHN": 1.0}
    s.assess(snap(), cp)
    assert s.pain_memory == pytest.approx({"CHN": 0.375 + 1.0, "RUS": 0.125})


def test_main_reason_is_the_largest_decayed_driver():
    s = state()
    s.components = {"pressure": 0.1, "price": 0.3, "social": 2.0, "reversal": 0.0}
    assert s.main_reason() == REASONS["social"]
    s.components["pressure"] = 5.0
    assert s.main_reason() == REASONS["pressure"]


# --- StateAgent: joining ---------------------------------------------------------------------
def test_join_balance_alignment_floor():
    cp = cparams(join_alignment_floor=0.25)
    sn = snap(credibility=0.8, secure_supply=0.5, expected_pressure=0.0)
    full = 0.8 * cp.supply_benefit * 0.5
    none = state(status=Status.OUTSIDE, role=Role.OUTSIDER, us_security_tie=0.0)
    ally = state(status=Status.OUTSIDE, role=Role.OUTSIDER, us_security_tie=1.0)
    half = state(status=Status.OUTSIDE, role=Role.OUTSIDER, us_security_tie=0.5)
    assert none.join_balance(sn, cp, PP) == pytest.approx(0.25 * full)
    assert ally.join_balance(sn, cp, PP) == pytest.approx(full)
    assert half.join_balance(sn, cp, PP) == pytest.approx((0.25 + 0.75 * 0.5) * full)


@SETTINGS
@given(units=st.floats(0.0, 5.0), more=st.floats(0.01, 5.0))
def test_join_balance_falls_with_expected_chinese_pressure(units, more):
    s = state(status=Status.OUTSIDE, role=Role.OUTSIDER, exports_to_china_pct_gdp=6.0)
    calm = s.join_balance(snap(expected_pressure=0.0), CP, PP)
    pressed = s.join_balance(snap(expected_pressure=units), CP, PP)
    expected = pressure_pain(units, 6.0, s.resistance, PP)
    assert calm - pressed == pytest.approx(expected)
    assert s.join_balance(snap(expected_pressure=units + more), CP, PP) < pressed


# --- StateAgent: decide ----------------------------------------------------------------------
def test_decide_member_leaves_at_its_threshold():
    s = state(threshold=2.0)
    s.grievance = 2.0
    assert s.decide(snap(), CP, PP) is Decision.LEAVE
    s.grievance = 1.9
    assert s.decide(snap(), CP, PP) is Decision.STAY


def outsider_with_balance(invited: bool, status=Status.OUTSIDE, role=Role.OUTSIDER):
    s = state(status=status, role=role, us_security_tie=1.0)
    s.invited = invited
    return s


def test_decide_non_member_joins_when_the_balance_clears_the_bar():
    cp = cparams(join_threshold=0.5, supply_benefit=1.0, join_alignment_floor=1.0)
    s = outsider_with_balance(invited=False)
    # balance = credibility x supply_benefit x secure_supply (full alignment, no pressure)
    clears = snap(credibility=1.0, secure_supply=1.0)  # 1.0 >= 2 x 0.5
    short = snap(credibility=0.9, secure_supply=1.0)  # 0.9 < 1.0
    assert s.join_balance(clears, cp, PP) == pytest.approx(1.0)
    assert s.decide(clears, cp, PP) is Decision.JOIN
    assert s.decide(short, cp, PP) is Decision.STAY_OUT


def test_decide_the_bar_is_half_as_high_for_an_invited_state():
    cp = cparams(join_threshold=0.5, supply_benefit=1.0, join_alignment_floor=1.0)
    sn = snap(credibility=0.6, secure_supply=1.0)  # balance 0.6: between 0.5 and 1.0
    assert outsider_with_balance(invited=False).decide(sn, cp, PP) is Decision.STAY_OUT
    assert outsider_with_balance(invited=True).decide(sn, cp, PP) is Decision.JOIN
    low = snap(credibility=0.4, secure_supply=1.0)  # below even the invited bar
    assert outsider_with_balance(invited=True).decide(low, cp, PP) is Decision.STAY_OUT


def test_decide_participant_and_returning_defector_may_join():
    cp = cparams(join_threshold=0.1, join_alignment_floor=1.0)
    sn = snap(credibility=1.0, secure_supply=1.0)
    participant = outsider_with_balance(False, Status.PARTICIPANT, Role.PARTICIPANT)
    assert participant.decide(sn, cp, PP) is Decision.JOIN
    defector = outsider_with_balance(False, Status.DEFECTED, Role.SIGNATORY)
    assert defector.decide(sn, cp, PP) is Decision.JOIN
    defector.cooldown = 2  # waiting out its cool-down: no choice yet
    assert defector.decide(sn, cp, PP) is Decision.STAY_OUT


def test_decide_never_a_decision_for_the_leader_or_a_rival():
    cp = cparams(join_threshold=0.0, join_alignment_floor=1.0)
    sn = snap(credibility=1.0, secure_supply=1.0)
    leader = state(role=Role.LEADER, threshold=0.0)
    leader.grievance = 100.0
    assert leader.decide(sn, cp, PP) is Decision.STAY
    rival = state(status=Status.OUTSIDE, role=Role.RIVAL)
    rival.invited = True
    assert rival.join_balance(sn, cp, PP) > 0.0
    assert rival.decide(sn, cp, PP) is Decision.STAY_OUT


def test_commitment_params_of_the_defaults():
    cp = CommitmentParams.of(P)
    for f in dataclasses.fields(CommitmentParams):
        assert getattr(cp, f.name) == P[f.name]


# --- secure_supply ---------------------------------------------------------------------------
def test_secure_supply_is_control_discounted_by_the_refining_gap():
    assert secure_supply(0.5, 0.0, 0.5) == 0.5  # refines all it needs: control is worth all
    assert secure_supply(0.5, 1.0, 0.5) == 0.25  # refines nothing: half of it rests on China
    assert secure_supply(0.5, 1.0, 0.0) == 0.5  # weight 0: refining does not matter
    assert secure_supply(0.5, 1.0, 1.0) == 0.0


@SETTINGS
@given(share, share, share, share)
def test_closing_the_refining_gap_never_lowers_what_membership_is_worth(c, g1, g2, w):
    lo, hi = sorted((g1, g2))
    assert secure_supply(c, lo, w) >= secure_supply(c, hi, w)
    assert 0.0 <= secure_supply(c, hi, w) <= c
