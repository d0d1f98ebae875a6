"""Re-joining under stated conditions (issue 12, point 7).

A defector may sign again once its cool-down (``rejoin_cooldown`` quarters) is over, on
the same balance as any non-member (``StateAgent.join_balance``: what the alliance is
worth to it, discounted by credibility and alignment, against the pressure China would
turn on it), and the US's diplomats may invite it back when they read a yes. So a state
that was forced out returns when the alliance is worth it and pressure is light, and
rarely under pressure. Greece (no exposure worth China's while) is forced out in the
first quarter; 60 seeded replications (seeds 1000-1059) a condition.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import numpy as np

from model.model import PaxSilicaModel
from model.params import defaults
from model.scenario import Event, load_scenario
from tests.replications import proportion_gap_lower

SEEDS = range(1000, 1060)


@cache
def returns(who: str, pressure: float) -> tuple[np.ndarray, list[int]]:
    """Whether ``who`` came back in each run, and the quarters it did."""
    base = load_scenario("baseline")
    scen = replace(base, events=[*base.events, Event(1, "force_out", actor=who)])
    back, quarters = [], []
    for seed in SEEDS:
        m = PaxSilicaModel(
            scen, rng=seed, collect=False, n_investors=200, pressure_intensity=pressure
        )
        m.run()
        q = [e.quarter for e in m.events if e.kind == "accession" and e.actor == who]
        back.append(bool(q))
        quarters += q[:1]
    return np.array(back, dtype=float), quarters


def test_a_forced_out_member_returns_when_the_alliance_is_worth_it():
    back, quarters = returns("GRC", 0.0)
    assert back.mean() >= 0.5, back.mean()
    # never before its cool-down is over: out in quarter 1, back at the earliest
    # rejoin_cooldown quarters later
    assert min(quarters) >= 1 + defaults()["rejoin_cooldown"], quarters
    m = PaxSilicaModel(
        replace(
            load_scenario("baseline"),
            events=[Event(1, "force_out", actor="GRC")],
        ),
        rng=SEEDS[0],
        pressure_intensity=0.0,
    )
    m.run()
    assert any("returns to the alliance" in e.text for e in m.events if e.actor == "GRC")


def test_pressure_keeps_defectors_out():
    calm, pressed = returns("GRC", 0.0)[0], returns("GRC", 2.0)[0]
    assert proportion_gap_lower(calm, pressed) > 0, (calm.mean(), pressed.mean())
