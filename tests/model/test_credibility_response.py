"""C4's survival effect as a dose-response (issue 12, point 8): lower credibility means
less capital and lower survival.

``initial_credibility`` at 0.3, 0.5 and 0.7 on the baseline, everything else held, 60
seeded replications each (seeds 1000-1059; the figures in the issue note also come from
seeds 0-39 and held-out 5000-5059).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from tests.replications import lean_outcomes, mean_gap_lower, proportion_gap_lower

SEEDS = range(1000, 1060)


@cache
def outcomes(credibility: float) -> dict[str, np.ndarray]:
    runs = lean_outcomes("baseline", SEEDS, initial_credibility=credibility)
    keys = ("event_observed", "final_members", "final_capital_committed")
    return {k: np.array([o[k] for o in runs], dtype=float) for k in keys}


def test_low_credibility_collapses_more_often():
    assert (
        proportion_gap_lower(outcomes(0.3)["event_observed"], outcomes(0.7)["event_observed"]) > 0
    )


def test_members_and_capital_rise_with_credibility():
    for lo, hi in ((0.3, 0.5), (0.5, 0.7)):
        for key in ("final_members", "final_capital_committed"):
            assert mean_gap_lower(outcomes(hi)[key], outcomes(lo)[key]) > 0, (lo, hi, key)
