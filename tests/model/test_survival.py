"""When the alliance counts as collapsed (model/survival.py)."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from model.params import defaults
from model.survival import SurvivalParams, below_floors, collapse_reason, floor_streak

SETTINGS = settings(deadline=None, derandomize=True, database=None, max_examples=60)

SP = SurvivalParams.of(defaults())


def sparams(**changes) -> SurvivalParams:
    return dataclasses.replace(SP, **changes)


def test_below_floors_needs_both_credibility_and_capital_below():
    sp = sparams(credibility_floor=0.3, capital_floor=0.1)
    assert below_floors(0.2, 0.05, sp)
    assert not below_floors(0.4, 0.05, sp)  # credibility holds
    assert not below_floors(0.2, 0.2, sp)  # capital holds
    assert not below_floors(0.3, 0.05, sp)  # at the floor is not below it
    assert not below_floors(0.2, 0.1, sp)


def test_floor_streak_counts_and_resets():
    streak = 0
    for expected in (1, 2, 3):
        streak = floor_streak(streak, True)
        assert streak == expected
    assert floor_streak(streak, False) == 0
    assert floor_streak(0, False) == 0


def test_collapse_when_the_founders_left_carry_too_little_weight():
    sp = sparams(collapse_member_fraction=0.5)
    reason = collapse_reason(0.45, 0, sp, 9, 11)
    assert reason and "9 of 11" in reason and "45%" in reason
    assert collapse_reason(0.55, 0, sp, 3, 11) == ""  # few heads, but the heavy ones
    assert collapse_reason(0.5, 0, sp, 6, 11) == ""  # exactly half is not too little


def test_collapse_when_below_the_floors_for_floor_quarters():
    sp = sparams(floor_quarters=4)
    assert collapse_reason(1.0, 3, sp, 9, 9) == ""
    reason = collapse_reason(1.0, 4, sp, 9, 9)
    assert reason and "floors" in reason
    assert collapse_reason(1.0, 7, sp, 9, 9) != ""


def test_the_members_route_is_named_first_when_both_apply():
    sp = sparams(collapse_member_fraction=0.5, floor_quarters=2)
    assert "founding members" in collapse_reason(0.1, 5, sp, 1, 9)


@SETTINGS
@given(
    share=st.floats(0.0, 1.0),
    streak=st.integers(0, 10),
    frac=st.floats(0.0, 1.0),
    quarters=st.integers(1, 10),
)
def test_collapse_reason_is_given_exactly_when_a_route_applies(share, streak, frac, quarters):
    sp = sparams(collapse_member_fraction=frac, floor_quarters=quarters)
    collapsed = share < frac - 1e-12 or streak >= quarters
    assert (collapse_reason(share, streak, sp, 5, 9) != "") == collapsed


def test_a_streak_below_the_floors_ends_in_collapse_after_floor_quarters():
    sp = sparams(floor_quarters=3, credibility_floor=0.3, capital_floor=0.1)
    streak, quarters = 0, 0
    while not collapse_reason(1.0, streak, sp, 9, 9):
        streak = floor_streak(streak, below_floors(0.1, 0.0, sp))
        quarters += 1
    assert quarters == 3
