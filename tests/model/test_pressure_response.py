"""C6's dose-response (issue 12, point 1): more capacity to pressure never buys less damage.

The cause is varied over its range with everything else held: ``pressure_intensity`` at
0, 0.5, 1, 2 and 4 on the baseline, 60 seeded replications each (seeds 1000-1059; the
figures quoted in docs/ODD.md section 7.3 come from other seeds). Until issue 12, China's
truce threshold was fixed in units, so a larger budget bought earlier truces and collapse
fell from 0.70 at 1x to 0.15 at 4x (seeds 1000-1059). Since members weigh what they hold,
pressure at the 2025 level peels off small members and rarely collapses the alliance, so
the damage is measured as members lost as well as collapse.
"""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np

from tests.replications import lean_outcomes, mean_gap_lower, proportion_gap_lower

DOSES = (0.0, 0.5, 1.0, 2.0, 4.0)
SEEDS = range(1000, 1060)


@cache
def outcomes(intensity: float) -> dict[str, np.ndarray]:
    runs = lean_outcomes("baseline", SEEDS, pressure_intensity=intensity)
    keys = ("event_observed", "final_members")
    return {k: np.array([o[k] for o in runs], dtype=float) for k in keys}


def collapsed(intensity: float) -> np.ndarray:
    return outcomes(intensity)["event_observed"]


def members(intensity: float) -> np.ndarray:
    """Members at the end (16 if nobody leaves and the four participants sign)."""
    return outcomes(intensity)["final_members"]


def test_no_pressure_no_collapse_and_pressure_costs_members():
    """Pressure does damage: at the 2025 level it peels off members (mostly small exposed
    ones, whose exit does not collapse the alliance: see tests/model/test_criticality.py),
    and at 4x more of them."""
    assert collapsed(0.0).mean() == 0.0
    assert mean_gap_lower(members(0.0), members(1.0)) > 0
    assert mean_gap_lower(members(0.0), members(4.0)) > 0


def test_damage_never_falls_as_pressure_rises():
    """Non-decreasing: no step up in pressure shows a fall in collapse, or a rise in the
    members left, that its 95% one-sided bound can tell from noise."""
    for lo, hi in itertools.pairwise(DOSES):
        assert proportion_gap_lower(collapsed(lo), collapsed(hi)) < 0, (lo, hi)
        assert mean_gap_lower(members(hi), members(lo)) < 0, (lo, hi)
