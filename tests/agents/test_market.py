"""The market for refined inputs (agents/market.py): controls, shocks, volatility."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.market import fade, price_index, price_multiplier, price_volatility

SETTINGS = settings(deadline=None, derandomize=True, database=None, max_examples=60)
share = st.floats(0.0, 1.0)
elasticity = st.floats(0.1, 5.0)


@SETTINGS
@given(c=share, e=elasticity)
def test_price_multiplier_is_one_at_zero_stringency(c, e):
    assert price_multiplier(0.0, c, e) == 1.0


@SETTINGS
@given(s1=share, s2=share, c=st.floats(0.05, 1.0), e=elasticity)
def test_price_multiplier_rises_with_stringency(s1, s2, c, e):
    lo, hi = sorted((s1, s2))
    assert price_multiplier(lo, c, e) <= price_multiplier(hi, c, e)
    assert price_multiplier(hi, c, e) >= 1.0


def test_price_multiplier_formula_and_elasticity():
    assert price_multiplier(0.5, 0.6, 0.5) == pytest.approx((1.0 - 0.3) ** -2.0)
    assert price_multiplier(0.5, 0.6, 2.0) == pytest.approx((1.0 - 0.3) ** -0.5)
    # More elastic demand: a smaller price response to the same cut.
    assert price_multiplier(0.5, 0.6, 2.0) < price_multiplier(0.5, 0.6, 0.5)
    # The cut is capped below the whole supply, so the price stays finite.
    assert price_multiplier(1.0, 1.0, 1.0) == pytest.approx(1.0 / 0.01)


@SETTINGS
@given(shock=st.floats(0.2, 5.0), mr=share)
def test_fade_moves_the_shock_the_stated_share_of_the_way_back_to_one(shock, mr):
    got = fade(shock, mr)
    assert got - 1.0 == pytest.approx((shock - 1.0) * (1.0 - mr))
    assert min(shock, 1.0) - 1e-12 <= got <= max(shock, 1.0) + 1e-12


def test_fade_extremes():
    assert fade(1.6, 0.0) == 1.6
    assert fade(1.6, 1.0) == 1.0
    assert fade(1.0, 0.3) == 1.0
    assert fade(1.6, 0.25) == pytest.approx(1.45)


def test_price_index_is_controls_times_shock():
    assert price_index(1.2, 1.5) == pytest.approx(1.8)
    assert price_index(1.0, 1.0) == 1.0


def test_price_volatility_is_zero_until_two_changes():
    assert price_volatility([]) == 0.0
    assert price_volatility([1.0]) == 0.0
    assert price_volatility([1.0, 2.0]) == 0.0  # one change
    assert price_volatility([1.0, 2.0, 1.0]) > 0.0  # two changes


def test_price_volatility_is_the_sd_of_recent_log_changes():
    prices = [1.0, 1.3, 1.1, 1.25, 1.0, 1.4, 1.2]
    expected = np.std(np.diff(np.log(prices[-5:])))
    assert price_volatility(prices) == pytest.approx(expected)
    assert price_volatility(prices, quarters=2) == pytest.approx(
        np.std(np.diff(np.log(prices[-3:])))
    )
    # Older prices do not count.
    assert price_volatility([9.0, 0.1] + prices) == pytest.approx(expected)


@SETTINGS
@given(level=st.floats(0.5, 3.0), n=st.integers(0, 8), scale=st.floats(0.5, 2.0))
def test_price_volatility_of_steady_prices_is_zero_and_scale_free(level, n, scale):
    assert price_volatility([level] * n) == pytest.approx(0.0, abs=1e-12)
    prices = [1.0, 1.2, 0.9, 1.1, 1.3]
    assert price_volatility([scale * x for x in prices]) == pytest.approx(price_volatility(prices))
