"""CALIBRATION, not validation: the model is tuned to reproduce these episodes from
``../shared/calibration/events.csv``, so passing them shows the calibration holds, not
that the model predicts.

* E7 (April 2025): licensing of 7 rare earths; dysprosium oxide in Europe nearly tripled
  within a month (SMM_2025_REE).
* E5 (July 2023): gallium licensing; Rotterdam low-purity gallium +43% within a month
  (CSIS_GA_2025).
* No member left between the December 2025 signing and April 2026: the baseline without
  shocks shows no defection in its first year.
"""

from __future__ import annotations

from pathlib import Path

from model.model import PaxSilicaModel
from model.scenario import load_scenario

CAL = Path(__file__).resolve().parents[2] / "model" / "data" / "calibration"


def price_jump(file: str) -> float:
    m = PaxSilicaModel(load_scenario(CAL / file), rng=0)
    before = m.price_index
    m.step()
    return m.price_index / before


def test_ree_april_2025_control_roughly_triples_the_price_index():
    assert 2.4 <= price_jump("ree_april_2025.toml") <= 3.6


def test_gallium_2023_control_raises_the_price_index_about_40_percent():
    assert 1.25 <= price_jump("gallium_2023.toml") <= 1.6
    # issue 12: within 15 points of the observed +43%
    assert abs(100 * (price_jump("gallium_2023.toml") - 1) - 43) <= 15


def test_the_april_2025_shock_alone_makes_no_member_leave_and_the_alliance_holds():
    """History holds (issue 12, point 5): under the April-2025 rare-earth control alone
    (no pressure, no US reversals), no member leaves within two quarters in at least 90%
    of 60 runs, and the alliance survives to 2035 in at least 75%. Japan and Korea did not
    leave in 2025. At the old price pain (0.4): 17% and 55% (seeds 0-39)."""
    scen = load_scenario(CAL / "ree_april_2025.toml")
    early, survived = [], []
    for seed in range(1000, 1060):
        m = PaxSilicaModel(scen, rng=seed, collect=False, n_investors=200)
        m.run()
        first = min((e.quarter for e in m.events if e.kind == "defection"), default=None)
        early.append(first is not None and first <= 2)
        survived.append(not m.collapsed)
    assert sum(early) / len(early) <= 0.10
    assert sum(survived) / len(survived) >= 0.75


def test_baseline_without_shocks_has_no_defection_in_its_first_year():
    scen = load_scenario("baseline", ["leader_volatility=0"])
    for seed in range(30):
        m = PaxSilicaModel(scen, rng=seed, steps=4)
        m.run()
        assert m.defectors == 0, (seed, [e.text for e in m.events])


def test_the_baseline_itself_has_no_defection_in_its_first_year():
    """Issue 12, point 5: with its random US reversals too (none left by April 2026)."""
    scen = load_scenario("baseline")
    for seed in range(1000, 1060):
        m = PaxSilicaModel(scen, rng=seed, steps=4)
        m.run()
        assert m.defectors == 0, (seed, [e.text for e in m.events])
