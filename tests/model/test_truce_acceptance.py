"""The US's truce lever (issue 15): ``truce_acceptance`` is China's escalation at which the
rule-based US agrees a truce; 0 (the default) never does, so the calibrated model is the
model without the lever."""

from __future__ import annotations

import numpy as np

from agents.leader import accepts_truce
from model.replicate import replicate
from model.scenario import load_scenario

US_TRUCE = "the US agrees a truce with China"


def test_the_rule():
    assert not accepts_truce(0.0, 5.0, False)  # 0: never
    assert accepts_truce(2.0, 2.0, False) and accepts_truce(2.0, 2.5, False)
    assert not accepts_truce(2.0, 1.9, False)  # China not yet that escalated
    assert not accepts_truce(2.0, 3.0, True)  # one in force already


def _runs(acceptance: float, seeds=range(6)):
    scen = load_scenario("escalation")  # China at its ceiling from the start, no truce sought
    out = []
    for m in replicate(scen, seeds, steps=16, n_investors=100, truce_acceptance=acceptance):
        truces = sum(US_TRUCE in e.text for e in m.events)
        out.append((truces, m.outcome()["china_coercion_cost"], m.outcome()["survived"]))
    return np.array(out, dtype=float)


def test_a_us_that_accepts_truces_takes_them_and_china_coerces_less():
    never, eager = _runs(0.0), _runs(1.0)
    assert never[:, 0].sum() == 0
    assert (eager[:, 0] >= 1).all()
    assert eager[:, 1].mean() < 0.8 * never[:, 1].mean()


def test_a_bar_above_chinas_ceiling_is_never_reached():
    """China's escalation stops at max_escalation (3 here): a bar of 5 is never met, a bar
    of 3 is met at once, as in the escalation scenario China starts at its ceiling."""
    assert _runs(5.0, range(3))[:, 0].sum() == 0
    assert (_runs(3.0, range(3))[:, 0] >= 1).all()
