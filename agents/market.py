"""The market for critical refined inputs: the price index that controls and shocks move.

The index is the product of two multipliers: the *standing* controls China keeps this
quarter (:func:`price_multiplier` of its stringency on its refining share) and a
*transient* shock from scripted events such as the April-2025 rare-earth controls, which
fades towards 1 each quarter (:func:`fade`). Investors charge for its volatility
(:func:`price_volatility`); members downstream feel its level as pain.
"""

from __future__ import annotations

import numpy as np


def price_multiplier(stringency: float, china_share: float, elasticity: float) -> float:
    """Price multiplier of withholding ``stringency`` of a supplier's ``china_share``:
    with constant-elasticity demand, ``(1 - s * c) ** (-1 / elasticity)``."""
    cut = min(0.99, max(0.0, stringency * china_share))
    return (1.0 - cut) ** (-1.0 / elasticity)


def fade(shock: float, mean_reversion: float) -> float:
    """Last quarter's transient shock, a share ``mean_reversion`` of the way back to 1."""
    return 1.0 + (shock - 1.0) * (1.0 - mean_reversion)


def price_index(control_level: float, shock: float) -> float:
    """The index: standing controls times the transient shock (1 = before the controls)."""
    return control_level * shock


def price_volatility(prices: list[float], quarters: int = 4) -> float:
    """Standard deviation of the last ``quarters`` quarterly log price changes (0 until
    there are two changes): the price risk investors charge for."""
    h = np.log(np.array(prices[-(quarters + 1) :]))
    if h.size <= 2:
        return 0.0
    # np.diff(h).std() in its own steps (numpy's order of operations, so the same bits),
    # without the layers of np.std around them: this runs every quarter of every run.
    change = h[1:] - h[:-1]
    dev = change - np.add.reduce(change) / change.size
    return float(np.sqrt(np.add.reduce(dev * dev) / change.size))
