"""C6's dose-response (issue 12, point 1): more capacity to pressure never buys less damage.

The cause is varied over its range with everything else held: ``pressure_intensity`` at
0, 0.5, 1, 2 and 4 on the baseline, 60 seeded replications each (seeds 1000-1059; the
figures quoted in docs/ODD.md section 7.3 come from other seeds). Until issue 12, China's
truce threshold was fixed in units, so a larger budget bought earlier truces and collapse
fell from 0.62 at 1x to 0.10 at 4x.
"""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np

from tests.replications import lean_outcomes, proportion_gap_lower

DOSES = (0.0, 0.5, 1.0, 2.0, 4.0)
SEEDS = range(1000, 1060)


@cache
def collapsed(intensity: float) -> np.ndarray:
    runs = lean_outcomes("baseline", SEEDS, pressure_intensity=intensity)
    return np.array([o["event_observed"] for o in runs], dtype=float)


def test_no_pressure_no_collapse_and_the_most_pressure_the_most():
    assert collapsed(0.0).mean() == 0.0
    assert proportion_gap_lower(collapsed(4.0), collapsed(0.0)) > 0
    assert proportion_gap_lower(collapsed(4.0), collapsed(1.0)) > 0


def test_collapse_never_falls_as_pressure_rises():
    """Non-decreasing: no step up in pressure shows a fall in collapse that its 95%
    one-sided bound can tell from noise (the lower bound of the fall stays below 0)."""
    for lo, hi in itertools.pairwise(DOSES):
        assert proportion_gap_lower(collapsed(lo), collapsed(hi)) < 0, (lo, hi)
    shares = [collapsed(d).mean() for d in DOSES]
    assert shares[-1] == max(shares)
