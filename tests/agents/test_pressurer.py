"""The coercion rules (agents/pressurer.py): pain, ranking, allocation, streaks, the EU."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.policy import PressurerChoice, PressurerView, Target
from agents.pressurer import (
    BUDGET_PARAM,
    CHINA,
    INSTRUMENTS,
    PRESSURERS,
    PressureParams,
    Pressurer,
    RuleBasedPressurer,
    Stance,
    chokepoints,
    eu_initial_stance,
    eu_turns,
    exposure_of,
    pain_landed,
    presses,
    pressure_pain,
    pressure_streaks,
    resistance_to,
    rule_allocation,
    target_value,
)
from agents.records import Actor
from model.params import defaults
from tests.agents.views import actor

SETTINGS = settings(deadline=None, derandomize=True, database=None, max_examples=60)
share = st.floats(0.0, 1.0)
units = st.floats(0.0, 10.0)
exposure = st.floats(0.0, 30.0)

PP = PressureParams.of(defaults())


def pparams(**changes) -> PressureParams:
    return dataclasses.replace(PP, **changes)


def target(id, value=0.2, exposure=5.0, resistance=0.3, gdp=1000.0, chokepoints=0.0) -> Target:
    return Target(id, id, value, exposure, resistance, gdp, chokepoints)


# --- pressure_pain ---------------------------------------------------------------------------
def test_pressure_pain_formula():
    pp = pparams(market_denial_effect=0.3, inducement_effect=0.2, inducement_share=0.25)
    denial = 0.75 * 2.0 * 0.3 * 5.0
    inducement = 0.25 * 2.0 * 0.2
    assert pressure_pain(2.0, 5.0, 0.4, pp) == pytest.approx(0.6 * denial + inducement)
    assert pressure_pain(2.0, 5.0, 0.4, pp, coordination=1.5) == pytest.approx(
        1.5 * (0.6 * denial + inducement)
    )
    assert pressure_pain(0.0, 5.0, 0.4, pp) == 0.0


@SETTINGS
@given(u1=units, u2=units, e1=exposure, e2=exposure, r1=share, r2=share, iota=share)
def test_pressure_pain_rises_with_units_and_exposure_and_falls_with_resistance(
    u1, u2, e1, e2, r1, r2, iota
):
    pp = pparams(inducement_share=iota)
    (ulo, uhi), (elo, ehi), (rlo, rhi) = sorted((u1, u2)), sorted((e1, e2)), sorted((r1, r2))
    eps = 1e-12
    assert pressure_pain(ulo, e1, r1, pp) <= pressure_pain(uhi, e1, r1, pp) + eps
    assert pressure_pain(u1, elo, r1, pp) <= pressure_pain(u1, ehi, r1, pp) + eps
    assert pressure_pain(u1, e1, rhi, pp) <= pressure_pain(u1, e1, rlo, pp) + eps
    assert pressure_pain(u1, e1, r1, pp) >= 0.0


def test_pressure_pain_inducements_ignore_exposure_and_resistance():
    pp = pparams(inducement_share=0.3)
    a = pressure_pain(2.0, 1.0, 0.0, pp, inducement_share=1.0)
    b = pressure_pain(2.0, 20.0, 0.9, pp, inducement_share=1.0)
    assert a == pytest.approx(b) == pytest.approx(2.0 * pp.inducement_effect)
    # The explicit share overrides the parameter: all denial here.
    assert pressure_pain(2.0, 5.0, 0.0, pp, inducement_share=0.0) == pytest.approx(
        2.0 * pp.market_denial_effect * 5.0
    )


# --- pain_landed -----------------------------------------------------------------------------
def test_coordination_bonus_only_with_more_than_one_pressurer_in_a_counter_alliance():
    bonus = 0.5
    alliance = pparams(counter_alliance=True, coordination_bonus=bonus)
    apart = pparams(counter_alliance=False, coordination_bonus=bonus)
    exposure_by = {"CHN": 5.0, "RUS": 1.0}
    both = {"CHN": 1.0, "RUS": 0.5}
    alone = {"RUS": 0.5}
    r, china_iota = 0.3, alliance.inducement_share
    base_rus = pressure_pain(0.5, 1.0, r, alliance)
    base_chn = pressure_pain(1.0, 5.0, r, alliance, inducement_share=china_iota)
    rs = {"CHN": r, "RUS": r}
    got = pain_landed(both, exposure_by, rs, 0.0, china_iota, alliance)
    assert got["RUS"] == pytest.approx((1 + bonus) * base_rus)
    assert got["CHN"] == pytest.approx((1 + bonus) * base_chn)
    assert pain_landed(alone, exposure_by, rs, 0.0, china_iota, alliance)["RUS"] == pytest.approx(
        base_rus
    )
    apart_both = pain_landed(both, exposure_by, rs, 0.0, china_iota, apart)
    assert apart_both == pytest.approx({"RUS": base_rus, "CHN": base_chn})


@SETTINGS
@given(c1=st.floats(0.0, 3.0), c2=st.floats(0.0, 3.0), shield=st.floats(0.0, 10.0))
def test_chokepoint_shield_divides_pain(c1, c2, shield):
    pp = pparams(chokepoint_shield=shield)
    args = ({"CHN": 1.0, "EUR": 0.5}, {"CHN": 4.0, "EUR": 3.0}, {"CHN": 0.2, "EUR": 0.2})
    open_ = pain_landed(*args, 0.0, 0.3, pp)
    held = pain_landed(*args, c1, 0.3, pp)
    for pid in open_:
        assert held[pid] == pytest.approx(open_[pid] / (1.0 + shield * c1))
    lo, hi = sorted((c1, c2))
    for pid in open_:
        assert pain_landed(*args, hi, 0.3, pp)[pid] <= pain_landed(*args, lo, 0.3, pp)[pid]


def test_pain_landed_uses_chinas_own_inducement_share_for_china_only():
    pp = pparams(inducement_share=0.3)
    got = pain_landed(
        {"CHN": 1.0, "BRA": 1.0}, {"CHN": 4.0, "BRA": 4.0}, {"CHN": 0.5, "BRA": 0.5}, 0.0, 0.9, pp
    )
    assert got["CHN"] == pytest.approx(pressure_pain(1.0, 4.0, 0.5, pp, inducement_share=0.9))
    assert got["BRA"] == pytest.approx(pressure_pain(1.0, 4.0, 0.5, pp))
    assert got["CHN"] != pytest.approx(got["BRA"])


# --- Pressurer: budget, rank, allocate -------------------------------------------------------
def test_budget_is_the_actors_budget_times_intensity_and_chinas_grows_with_escalation():
    pp = pparams(pressure_intensity=2.0)
    for pid in PRESSURERS:
        base = getattr(pp, BUDGET_PARAM[pid]) * 2.0
        got = Pressurer(pid).budget(pp, 1.5)
        assert got == pytest.approx(base * 1.5 if pid == CHINA else base)


def score(t: Target, deterrence: float, cost_unit: float) -> float:
    """Expected damage per unit cost, as Pressurer.rank's docstring states it."""
    cost = 1.0 + t.exposure * t.gdp_usd_bn / cost_unit + deterrence * t.chokepoints
    return t.value * t.exposure * (1.0 - t.resistance) / cost


@SETTINGS
@given(
    st.lists(
        st.tuples(st.floats(0.01, 1.0), st.floats(0.0, 20.0), share, st.floats(1.0, 5000.0), share),
        min_size=1,
        max_size=8,
    ),
    st.floats(0.0, 20.0),
)
def test_rank_orders_by_damage_per_unit_cost(rows, deterrence):
    targets = [target(f"T{i}", *row) for i, row in enumerate(rows)]
    ranked = Pressurer(CHINA).rank(targets, deterrence, 10_000.0)
    assert {t.id for t in ranked} == {t.id for t in targets if t.exposure > 0}
    scores = [score(t, deterrence, 10_000.0) for t in ranked]
    assert all(a >= b - 1e-12 for a, b in zip(scores, scores[1:], strict=False))


def test_rank_breaks_ties_by_id_and_ignores_zero_exposure():
    same = dict(value=0.2, exposure=5.0, resistance=0.3, gdp=1000.0)
    targets = [target("KOR", **same), target("AUS", **same), target("JPN", **same)]
    targets.append(target("ISR", value=0.9, exposure=0.0))  # not exposed: not a target
    ranked = Pressurer(CHINA).rank(targets, 1.0, 10_000.0)
    assert [t.id for t in ranked] == ["AUS", "JPN", "KOR"]
    assert [t.id for t in Pressurer(CHINA).rank(targets[::-1], 1.0, 10_000.0)] == [
        "AUS",
        "JPN",
        "KOR",
    ]


def test_rank_deterrence_by_chokepoints_lowers_a_target():
    taiwan = target("TWN", value=0.3, exposure=5.0, chokepoints=0.6)
    korea = target("KOR", value=0.25, exposure=5.0, chokepoints=0.0)
    pr = Pressurer(CHINA)
    assert [t.id for t in pr.rank([taiwan, korea], 0.0, 10_000.0)] == ["TWN", "KOR"]
    assert [t.id for t in pr.rank([taiwan, korea], 5.0, 10_000.0)] == ["KOR", "TWN"]


def test_rank_lost_imports_raise_the_cost():
    small = target("SML", value=0.2, exposure=5.0, gdp=100.0)
    large = target("LRG", value=0.2, exposure=5.0, gdp=5000.0)
    assert [t.id for t in Pressurer(CHINA).rank([large, small], 0.0, 10_000.0)] == ["SML", "LRG"]


@SETTINGS
@given(n=st.integers(0, 8), budget=st.floats(0.0, 20.0), per_target=st.floats(0.0, 5.0))
def test_allocate_never_exceeds_budget_or_the_per_target_cap(n, budget, per_target):
    ranked = [target(f"T{i}") for i in range(n)]
    out = Pressurer(CHINA).allocate(ranked, budget, per_target)
    spent = sum(u for _, u in out)
    assert spent <= budget + 1e-9
    assert all(0.0 <= u <= per_target + 1e-12 for _, u in out)
    assert spent == pytest.approx(min(budget, n * per_target))  # spends what it can
    assert [t.id for t, _ in out] == [t.id for t in ranked[: len(out)]]  # down the ranking


def test_allocate_fills_targets_in_order_and_gives_the_rest_to_the_last():
    ranked = [target("A"), target("B"), target("C")]
    out = Pressurer(CHINA).allocate(ranked, 2.5, 1.0)
    assert [(t.id, u) for t, u in out] == [("A", 1.0), ("B", 1.0), ("C", 0.5)]


# --- data helpers ----------------------------------------------------------------------------
def test_a_pressurer_presses_only_while_active_and_not_a_member():
    assert presses(True, False)
    assert not presses(True, True)  # it signed: it stops pressuring its fellow members
    assert not presses(False, False)  # the EU before it turns


def test_exposure_of_sums_each_pressurers_instruments():
    a = actor(
        exports_to_china_pct_gdp=1.0,
        exports_to_eu_pct_gdp=2.0,
        exports_to_russia_pct_gdp=3.0,
        exports_to_brazil_pct_gdp=4.0,
        energy_from_russia_pct_gdp=0.5,
        minerals_from_brazil_pct_gdp=0.25,
    )
    # Russia: its market and its energy; Brazil: its market and its minerals.
    assert [exposure_of(a, pid) for pid in ("CHN", "EUR", "RUS", "BRA")] == [1.0, 2.0, 3.5, 4.25]
    assert set(INSTRUMENTS) == set(PRESSURERS)
    fields = {f.name for f in dataclasses.fields(Actor)}
    assert all(col in fields for cols in INSTRUMENTS.values() for col in cols)


def test_a_us_security_tie_shelters_from_rivals_but_not_from_the_eus_rules():
    assert resistance_to("CHN", 0.7, 0.2) == 0.7
    assert resistance_to("RUS", 0.7, 0.2) == 0.7
    assert resistance_to("EUR", 0.7, 0.2) == 0.2
    pp = pparams()
    landed = pain_landed(
        {"CHN": 1.0, "EUR": 1.0},
        {"CHN": 2.0, "EUR": 2.0},
        {pid: resistance_to(pid, 0.7, 0.2) for pid in ("CHN", "EUR")},
        0.0,
        pp.inducement_share,
        pp,
    )
    assert landed["EUR"] > landed["CHN"]  # same units, same stake: the ally's rules bite


@SETTINGS
@given(w1=st.floats(0.0, 1.0), w2=st.floats(0.0, 1.0), rest=st.floats(0.01, 5.0))
def test_target_value_is_the_members_share_of_the_alliances_weight(w1, w2, rest):
    total = w1 + w2 + rest
    assert target_value(w1, total) == pytest.approx(w1 / total)
    lo, hi = sorted((w1, w2))
    assert target_value(lo, total) <= target_value(hi, total)
    assert target_value(1.0, 0.0) == 0.0  # no members: nothing to gain


def test_chokepoints_sum_frontier_shares_where_china_is_short():
    frontier = np.array(
        [
            [0.05, 0.50, 0.20],  # China: short in phases 0 and 2
            [0.60, 0.10, 0.30],
            [0.35, 0.40, 0.50],
        ]
    )
    got = chokepoints(frontier, 0, 0.1)
    assert got == pytest.approx([0.05, 0.60, 0.35])  # only phase 0 is below 0.1
    got = chokepoints(frontier, 0, 0.3)
    assert got == pytest.approx([0.25, 0.90, 0.85])  # phases 0 and 2
    assert chokepoints(frontier, 0, 0.0) == pytest.approx([0.0, 0.0, 0.0])


# --- rule_allocation and the rule-based pressurer --------------------------------------------
def test_rule_allocation_follows_chinas_ranking_when_given():
    targets = [target("AUS", value=0.9), target("JPN", value=0.1), target("KOR", value=0.5)]
    pr = Pressurer("RUS")
    got = rule_allocation(pr, targets, 1.5, 1.0, 0.0, 10_000.0, follow=["JPN", "KOR"])
    assert list(got.items()) == [("JPN", 1.0), ("KOR", 0.5)]
    # Targets China did not rank come last.
    got = rule_allocation(pr, targets, 3.0, 1.0, 0.0, 10_000.0, follow=["KOR"])
    assert list(got)[0] == "KOR" and set(got) == {"AUS", "JPN", "KOR"}


def test_rule_allocation_ranks_by_itself_without_a_lead():
    targets = [target("AUS", value=0.1), target("JPN", value=0.9), target("KOR", value=0.5)]
    pr = Pressurer("BRA")
    got = rule_allocation(pr, targets, 1.5, 1.0, 0.0, 10_000.0)
    expected = [t.id for t in pr.rank(targets, 0.0, 10_000.0)]
    assert expected == ["JPN", "KOR", "AUS"]
    assert list(got.items()) == [("JPN", 1.0), ("KOR", 0.5)]


def pressurer_view(ranking=None, budget=1.5) -> PressurerView:
    return PressurerView(
        actor="RUS",
        name="Russia",
        quarter=3,
        when="2026 Q4",
        budget=budget,
        max_per_target=1.0,
        deterrence=0.0,
        cost_unit=10_000.0,
        targets=[target("AUS", value=0.1), target("JPN", value=0.9), target("KOR", value=0.5)],
        china_ranking=ranking,
        credibility=0.6,
    )


@pytest.mark.parametrize("ranking", [None, ["AUS", "KOR", "JPN"]])
def test_rule_based_pressurer_is_rule_allocation_on_its_view(ranking):
    view = pressurer_view(ranking)
    choice = RuleBasedPressurer().decide(view)
    assert isinstance(choice, PressurerChoice)
    assert choice.pressure == rule_allocation(
        Pressurer("RUS"), view.targets, 1.5, 1.0, 0.0, 10_000.0, ranking
    )
    assert sum(choice.pressure.values()) == pytest.approx(1.5)


# --- streaks and the EU ----------------------------------------------------------------------
def test_pressure_streaks_count_and_end():
    s = pressure_streaks({}, {"CHN": 1.0})
    assert s == {"CHN": 1}
    s = pressure_streaks(s, {"CHN": 1.0, "RUS": 0.3})
    assert s == {"CHN": 2, "RUS": 1}
    s = pressure_streaks(s, {"RUS": 0.3})  # China did not press: its streak ends
    assert s == {"RUS": 2}
    s = pressure_streaks(s, {"CHN": 0.5})
    assert s == {"CHN": 1}
    assert pressure_streaks(s, {}) == {}


def test_eu_initial_stance():
    assert eu_initial_stance(True) is Stance.PRESSURER
    assert eu_initial_stance(False) is Stance.PARTNER


def test_eu_turns_conditions():
    assert eu_turns(Stance.PARTNER, False, 2, 2)
    assert eu_turns(Stance.PARTNER, False, 3, 2)
    assert not eu_turns(Stance.PARTNER, False, 1, 2)  # too few reversals
    assert not eu_turns(Stance.PARTNER, True, 5, 2)  # a member does not turn
    assert not eu_turns(Stance.PRESSURER, False, 5, 2)  # already turned
